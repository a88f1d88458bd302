#pragma once
// A real RTSP server in the test process (gst-rtsp-server, libgstrtspserver-1.0-dev): one
// mount serving a gst-launch description's stream, on 127.0.0.1 at a port the kernel picks,
// run by its own GMainContext on its own thread. Linked into unit_tests only.

#include <gst/rtsp-server/rtsp-server.h>

#include <string>
#include <thread>

#include "audio/gst_init.hpp"

namespace wardcast::test {

/// See the file comment. Stopped (clients closed, loop ended) when destroyed.
class RtspServer {
  public:
    /// Serves `launch` (a bin description whose payloader is named pay0, in parentheses) at
    /// `mount`. Every client shares the one stream, as listeners of a station do.
    RtspServer(const std::string& launch, const std::string& mount) : mount_(mount) {
        audio::ensure_gstreamer();
        context_ = g_main_context_new();
        loop_ = g_main_loop_new(context_, FALSE);
        server_ = gst_rtsp_server_new();
        gst_rtsp_server_set_address(server_, "127.0.0.1");
        gst_rtsp_server_set_service(server_, "0");  // any free port
        GstRTSPMediaFactory* factory = gst_rtsp_media_factory_new();
        gst_rtsp_media_factory_set_launch(factory, launch.c_str());
        gst_rtsp_media_factory_set_shared(factory, TRUE);
        GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(server_);
        gst_rtsp_mount_points_add_factory(mounts, mount.c_str(), factory);  // takes it
        g_object_unref(mounts);
        source_ = gst_rtsp_server_attach(server_, context_);
        port_ = gst_rtsp_server_get_bound_port(server_);
        thread_ = std::thread([this] { g_main_loop_run(loop_); });
    }
    ~RtspServer() {
        // On the server's own thread: close the clients (their media with them), then stop.
        GSource* stop = g_idle_source_new();
        g_source_set_callback(stop, &RtspServer::stop_on_loop, this, nullptr);
        g_source_attach(stop, context_);
        g_source_unref(stop);
        thread_.join();
        if (GSource* listening = g_main_context_find_source_by_id(context_, source_)) {
            g_source_destroy(listening);
        }
        g_object_unref(server_);
        g_main_loop_unref(loop_);
        g_main_context_unref(context_);
    }
    RtspServer(const RtspServer&) = delete;
    RtspServer& operator=(const RtspServer&) = delete;

    /// Whether it listens (attach found a port).
    bool listening() const { return source_ != 0 && port_ > 0; }
    int port() const { return port_; }
    /// rtsp://127.0.0.1:PORT/MOUNT
    std::string url() const { return "rtsp://127.0.0.1:" + std::to_string(port_) + mount_; }

  private:
    static GstRTSPFilterResult remove_client(GstRTSPServer*, GstRTSPClient*, gpointer) {
        return GST_RTSP_FILTER_REMOVE;
    }
    static gboolean stop_on_loop(gpointer self_pointer) {
        auto* self = static_cast<RtspServer*>(self_pointer);
        g_list_free(gst_rtsp_server_client_filter(self->server_, remove_client, nullptr));
        g_main_loop_quit(self->loop_);
        return G_SOURCE_REMOVE;
    }

    std::string mount_;
    GMainContext* context_ = nullptr;
    GMainLoop* loop_ = nullptr;
    GstRTSPServer* server_ = nullptr;
    guint source_ = 0;
    int port_ = 0;
    std::thread thread_;
};

}  // namespace wardcast::test
