# Stub for streamlit-image-coordinates 0.4.x, which ships no py.typed marker. Only the
# one function the Intake page calls; the signature is copied from the package source.
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

def streamlit_image_coordinates(
    source: str | Path | object,
    height: int | None = None,
    width: int | Literal["stretch", "content"] | None = None,
    key: str | None = None,
    use_column_width: Literal["auto", "always", "never"] | bool | None = None,
    click_and_drag: bool = False,
    image_format: str = "PNG",
    png_compression_level: int = 0,
    jpeg_quality: int = 75,
    on_click: Callable[[], None] | None = None,
    cursor: str = "auto",
) -> dict[str, Any] | None:
    """The last click (x, y, width, height, unix_time; x1..y2 when dragging), or None."""
