"""Media of video items, shared by the video formats (CVAT for video, MOT): frame folders and video files.

A video item's media is an image sequence (``frame_files``, in frame order) or one video file, which
:func:`probe_checked` reads with OpenCV once the running import allows it.
"""

from __future__ import annotations

from pathlib import Path

from labelhub.errors import FormatError
from labelhub.formats._common import absolute, image_size, list_images, media_refusal
from labelhub.media.video import DEFAULT_MAX_COUNT_FRAMES, VideoInfo, is_video, natural_key, probe_video


def refuse_unreadable(path: Path) -> None:
    """Raise FormatError naming ``path`` when the running import may not read it (a link out of the import
    folders, into LABELHUB_HOME); return quietly when it may.

    Call it before anything opens the file: the import service checks each record's media again before storing
    it, but a format that reads a video's size and frames to build the record would by then have opened it.
    """
    refused = media_refusal(path)
    if refused is not None:
        raise FormatError(refused, file=str(path))


def probe_checked(path: Path, *, max_count_frames: int = DEFAULT_MAX_COUNT_FRAMES) -> VideoInfo:
    """Return :func:`probe_video`'s reading of the video file ``path``, once the running import allows reading
    it; a refused file (see :func:`refuse_unreadable`) is a FormatError, and OpenCV never opens it."""
    refuse_unreadable(path)
    return probe_video(path, max_count_frames=max_count_frames)


def frame_folder(folder: Path) -> list[Path]:
    """Return the image files of an image-sequence folder in frame order, as absolute paths.

    Names sort with their numbers read as numbers, so unpadded ``frame_2`` comes before ``frame_10``.
    """
    if not folder.is_dir():
        return []
    return sorted((absolute(p) for p in list_images(folder)), key=lambda p: natural_key(p.as_posix()))


def first_frame_size(frames: list[Path]) -> tuple[int | None, int | None]:
    """Return the size of the first frame, or (None, None) when there is none; FormatError if unreadable."""
    if not frames:
        return None, None
    return image_size(frames[0])


def find_video(folder: Path) -> Path | None:
    """Return the only video file directly in ``folder``, or None when there is none or several."""
    if not folder.is_dir():
        return None
    found = [p for p in folder.iterdir() if p.is_file() and is_video(p)]
    return absolute(found[0]) if len(found) == 1 else None
