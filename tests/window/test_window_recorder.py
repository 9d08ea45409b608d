"""The window recording from encoded frames: seats in step, rejoin gaps, absent seats."""

from __future__ import annotations

from pathlib import Path

import av

from cli.botpeer import MediaLoop
from services.window.passthrough import EncodedFrame
from services.window.recorder import WindowRecorder, describe_recording


def video(loop: MediaLoop, index: int, arrival: float, source: int) -> EncodedFrame:
    data = loop.video[index % len(loop.video)]
    return EncodedFrame("video", data, index * 6000, 90_000, arrival, index == 0, source)


def audio(loop: MediaLoop, index: int, arrival: float, source: int) -> EncodedFrame:
    return EncodedFrame(
        "audio", loop.audio[index % len(loop.audio)], index * 960, 48_000, arrival, True, source
    )


def test_a_recording_keeps_seats_in_step_and_shows_a_rejoin_as_a_gap(tmp_path: Path) -> None:
    loop = MediaLoop.build(160, 120, 15, seconds=3)
    recorder = WindowRecorder(tmp_path / "w.webm", ["applicant", "official", "clerk"], "w")
    applicant_video = recorder.sink("applicant", "video")
    applicant_audio = recorder.sink("applicant", "audio")
    official_video = recorder.sink("official", "video")
    official_video.push(video(loop, 5, 100.0, 1))  # not a keyframe: waits for one
    for i in range(45):  # 3 s of the applicant; the official joins after 1 s
        applicant_video.push(video(loop, i, 100.0 + i / 15, 1))
        if i >= 15:
            official_video.push(video(loop, i - 15, 100.0 + i / 15, 1))
    for i in range(150):
        applicant_audio.push(audio(loop, i, 100.0 + i * 0.02, 1))
    # the applicant drops for 2 s and rejoins: a new source, its clock from zero
    applicant_video.push(video(loop, 3, 105.0, 2))  # a delta first: skipped
    for i in range(15):
        applicant_video.push(video(loop, i, 105.0 + i / 15, 2))
    path = recorder.close()
    assert path is not None and recorder.errors == 0
    recording = describe_recording(path)
    assert 5.8 < recording.duration_s < 6.3
    with av.open(str(path)) as container:
        titles = [s.metadata["title"] for s in container.streams]
        assert titles == [
            "applicant video",
            "applicant audio",
            "official video",
            "official audio",
            "clerk video",
            "clerk audio",
        ]
        sizes = [(s.codec_context.width, s.codec_context.height) for s in container.streams.video]
        assert sizes == [(160, 120), (160, 120), (640, 480)]  # the absent clerk: nominal
        times = [float(f.time) for f in container.decode(video=0)]
    with av.open(str(path)) as container:
        official = [float(f.time) for f in container.decode(video=1)]
    assert len(times) == 60 and len(official) == 30
    assert abs(official[0] - 1.0) < 0.05  # the official's first frame, 1 s in
    gap = max(b - a for a, b in zip(times, times[1:], strict=False))
    assert 2.0 < gap < 2.2  # 2.93 s → 5.0 s


def test_a_window_without_media_has_no_recording(tmp_path: Path) -> None:
    recorder = WindowRecorder(tmp_path / "empty.webm", ["applicant", "official"])
    assert recorder.close() is None and not (tmp_path / "empty.webm").exists()
