"""The browser suite's fixtures: Debian's Chromium under Playwright, the
addresses tests/tests/console.rs hands over, and helpers that act as a person
would (by visible labels and button names, never by CSS internals).

Run it through `cargo test -p noctis-e2e --test console` (make test does): that
harness starts the real API and receiver and sets the NOCTIS_* variables.
"""

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@dataclass
class Scene:
    url: str
    backend: str
    admin: str
    radiologist: str
    password: str
    dicom_port: int
    called_ae: str
    other_study: str
    other_study_uid: str
    axe: Path
    screenshots: Path


@pytest.fixture(scope="session")
def scene() -> Scene:
    env = os.environ
    if "NOCTIS_URL" not in env:
        pytest.exit("run the browser suite through `cargo test -p noctis-e2e --test console`", 2)
    screenshots = Path(env["NOCTIS_SCREENSHOTS"])
    screenshots.mkdir(parents=True, exist_ok=True)
    return Scene(
        url=env["NOCTIS_URL"],
        backend=env["NOCTIS_BACKEND"],
        admin=env["NOCTIS_ADMIN"],
        radiologist=env["NOCTIS_RADIOLOGIST"],
        password=env["NOCTIS_PASSWORD"],
        dicom_port=int(env["NOCTIS_DICOM_PORT"]),
        called_ae=env["NOCTIS_CALLED_AE"],
        other_study=env["NOCTIS_OTHER_STUDY"],
        other_study_uid=env["NOCTIS_OTHER_STUDY_UID"],
        axe=Path(env["NOCTIS_AXE"]),
        screenshots=screenshots,
    )


@pytest.fixture(scope="session")
def browser() -> Browser:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def shared() -> dict:
    """What one flow leaves for the next: the facility, its study, its user."""
    return {}


def open_page(browser: Browser, viewport=DESKTOP) -> Page:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    # A script error is a failure wherever it happens.
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.script_errors = errors
    return page


def sign_in(page: Page, scene: Scene, username: str, password: str | None = None, path: str = "/"):
    page.goto(scene.url + path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or scene.password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").wait_for()


def field_error(page: Page, name: str):
    """The error shown beside the field the API named."""
    return page.locator(f"[data-field-error='{name}']")


def dcmtk(tool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tool, "-v", "-to", "10", "-ta", "10", "-td", "30", *args],
        env={**os.environ, "TCP_NODELAY": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
