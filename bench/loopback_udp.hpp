#pragma once
// The benchmarks' RTP receivers: a UDP socket on loopback, on a port the kernel picks.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace wardcast::bench {

/// A UDP socket bound to 127.0.0.1 on a free port, which is stored in `port`; -1 on failure.
inline int bind_loopback_udp(int& port) {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        return -1;
    }
    port = ntohs(a.sin_port);
    return fd;
}

}  // namespace wardcast::bench
