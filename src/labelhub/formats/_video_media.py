"""Media of video items, shared by the video formats (CVAT for video, MOT): frame folders and video files.

A video item's media is an image sequence (``frame_files``, in frame order) or one video file, which
:func:`labelhub.media.video.probe_video` reads with OpenCV.
"""

from __future__ import annotations

from pathlib import Path

from labelhub.formats._common import absolute, image_size, list_images
from labelhub.media.video import is_video, natural_key


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
