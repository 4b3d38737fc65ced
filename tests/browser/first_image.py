"""Time to first image, for `make bench`: a signed-in reader clicks *Open in
viewer* on a study page, and the clock stops when the viewport's canvas first
holds image pixels. Prints one JSON object with each run's milliseconds.

usage: first_image.py URL USERNAME PASSWORD STUDY_ID RUNS
"""

import json
import sys

from playwright.sync_api import sync_playwright

from conftest import CHROMIUM_ARGS

# Runs in the page: resolves with the milliseconds from the click to a canvas with pixels.
WAIT_FOR_PIXELS = """(started) => new Promise((done) => {
  const look = () => {
    const canvas = document.querySelector('[data-testid=viewport] canvas');
    if (canvas && canvas.width > 0) {
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < pixels.length; i += 4 * 97) {
        if (pixels[i] > 0) return done(performance.now() - started);
      }
    }
    requestAnimationFrame(look);
  };
  look();
})"""


def main():
    url, username, password, study, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for _ in range(runs):
            # A fresh context each run: nothing of the study is cached.
            page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
            page.goto(url + "/")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("navigation", name="Main").wait_for()
            page.goto(f"{url}/studies/{study}")
            link = page.get_by_role("link", name="Open in viewer")
            link.wait_for()
            started = page.evaluate("() => performance.now()")
            link.click()
            times.append(page.evaluate(WAIT_FOR_PIXELS, started))
            page.context.close()
        browser.close()
    print(json.dumps({"milliseconds": times}))


if __name__ == "__main__":
    main()
