#!/usr/bin/env bash
# Makes the example schedule's audio: a chime by code, spoken messages by espeak (voice vi).
# Files that exist already are kept, so this is quick after the first run.
set -euo pipefail
tool=$1
dir=$2
mkdir -p "$dir"
make_one() {  # OUT then the wardcast-make-audio arguments
    local out=$dir/$1; shift
    [[ -s "$out" ]] || "$tool" "$@" "$out"
}
make_one chime.wav chime
make_one dvc-1.ogg tts --voice vi --text "Kính thưa bà con nhân dân. Ủy ban nhân dân phường Bồ Đề xin thông báo: từ nay, nhiều thủ tục hành chính đã được cung cấp dưới dạng dịch vụ công trực tuyến mức độ 3 và mức độ 4."
make_one dvc-2.mp3 tts --voice vi --text "Bà con có thể nộp hồ sơ, theo dõi kết quả và nộp lệ phí qua mạng, không phải đến trụ sở. Hãy truy cập Cổng dịch vụ công của thành phố Hà Nội."
make_one mot-cua.flac tts --voice vi --text "Bộ phận một cửa, một cửa liên thông của phường tiếp nhận và trả kết quả hồ sơ từ thứ hai đến sáng thứ bảy. Mọi thủ tục được niêm yết công khai, minh bạch."
make_one quy-tac-cong-chuc.wav tts --voice vi --text "Thực hiện Quy tắc ứng xử của cán bộ, công chức, viên chức trong các cơ quan thuộc thành phố Hà Nội: tận tụy, chuyên nghiệp, thân thiện, vì nhân dân phục vụ."
make_one ket-qua-thang.ogg tts --voice vi --text "Thông báo kết quả cải cách hành chính trong tháng: tỷ lệ hồ sơ giải quyết đúng hạn và số hồ sơ nộp trực tuyến mức độ 3, mức độ 4 của phường."
