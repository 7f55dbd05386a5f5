"""Content-addressed media storage and thumbnails."""
