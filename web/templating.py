"""The one Jinja2 environment of the web app's pages, with the globals every template may use."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from reportqa.speaker_codes import SPEAKER_CODES

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals["speaker_codes"] = SPEAKER_CODES  # explained on the About page
