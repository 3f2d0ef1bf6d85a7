"""The page in a real browser: upload, run, watch, cancel, download, errors, queue.

One in-process server (small caps so the limits can be hit cheaply) and headless
Chromium; jobs run at 64 px for a few iterations.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from PIL import Image

from stylegram.web.app import launch
from stylegram.web.settings import WebSettings

pytestmark = pytest.mark.browser

from stylegram.examples import FOLDER as EXAMPLES

JOB_SECONDS = 60_000  # ms: model loading plus a short run on a loaded 2-core machine


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADIO_TEMP_DIR", str(tmp_path_factory.mktemp("gradio")))  # uploads land here
        page = launch(WebSettings(port=free_port(), max_upload_mb=1, max_pixels=1_000_000, max_steps=400))
        yield page.local_url
        page.close()


@pytest.fixture
def context(browser):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(15_000)
    yield context
    context.close()


def open_page(context, url, requests=None):
    page = context.new_page()
    if requests is not None:
        page.on("request", lambda request: requests.append(request.url))
    page.goto(url)
    page.locator("#start").wait_for()
    return page


def upload(page, content, styles):
    page.locator("#content input[type=file]").set_input_files(str(content))
    page.locator("#content img").first.wait_for()
    page.locator("#styles input[type=file]").set_input_files([str(s) for s in styles])
    page.locator("#styles img").first.wait_for()


def set_options(page, size, steps):
    page.locator("#option-size").get_by_role("textbox").fill(str(size))
    page.locator("#option-steps").get_by_role("spinbutton").fill(str(steps))


def use_examples(page, steps):
    """Load the example images and ask for a 64 px run of ``steps`` iterations."""
    page.click("#examples")
    page.locator("#styles img").first.wait_for()
    set_options(page, 64, steps)


def progress_text(page):
    return page.locator("#progress").inner_text()


def wait_for_text(page, selector, text, timeout=JOB_SECONDS):
    page.locator(selector, has_text=text).wait_for(timeout=timeout)


def download(page, selector):
    link = page.locator(f"{selector} a").first
    link.wait_for()
    with page.expect_download() as info:
        link.click()
    return info.value.path()


def toast(page):
    message = page.locator(".toast-body").first
    message.wait_for()
    return message.inner_text()


def test_run_shows_progress_and_offers_the_result(server, context):
    requests = []
    page = open_page(context, server, requests)
    upload(page, EXAMPLES / "tubingen.jpg", [EXAMPLES / "starry_night.jpg", EXAMPLES / "tubingen.jpg"])
    set_options(page, 64, 24)  # enough iterations for the poll below to see several, even on a busy core
    page.click("#start")
    steps, previews = set(), set()
    deadline = time.monotonic() + JOB_SECONDS / 1000
    # One read of the page per poll: the bar is replaced when the run ends, so a
    # locator found by one call may be gone by the next.
    read = """() => [document.querySelector('#progress progress[value]')?.getAttribute('value'),
                     document.querySelector('#preview img')?.getAttribute('src')]"""
    while "Done" not in progress_text(page) and time.monotonic() < deadline:
        value, source = page.evaluate(read)
        if value is not None:
            steps.add(int(value))
        previews.add(source)
        time.sleep(0.1)
    assert "Done: 24 iterations" in progress_text(page)
    assert len(steps) >= 2 and max(steps) <= 24, steps  # the bar moved during the run
    assert len(previews - {None}) >= 2, previews  # and so did the preview

    with Image.open(download(page, "#result-file")) as result:
        assert result.format == "PNG" and result.size == (64, 48)  # tubingen.jpg is 4:3
        metadata = json.loads(result.text["stylegram"])
    assert metadata["settings"]["size"] == 64 and metadata["settings"]["steps"] == 24
    assert metadata["steps_done"] == 24
    with Image.open(download(page, "#figure-file")) as figure:  # content | 2 styles | result
        assert figure.format == "PNG" and figure.width > 4 * figure.height

    external = {u for u in requests if urlparse(u).hostname not in ("127.0.0.1", "localhost")}
    assert not {u for u in external if not u.startswith(("data:", "blob:"))}  # works offline


def test_cancel_keeps_the_image_so_far(server, context):
    page = open_page(context, server)
    use_examples(page, 400)
    page.click("#start")
    page.locator("#progress progress[value]").wait_for(timeout=JOB_SECONDS)
    page.click("#cancel")
    wait_for_text(page, "#progress", "Cancelled after")
    with Image.open(download(page, "#result-file")) as partial:
        assert partial.size == (64, 48)
        metadata = json.loads(partial.text["stylegram"])
    assert metadata["interrupted"] is True and 1 <= metadata["steps_done"] < 400


def test_text_file_named_jpg_is_refused_on_the_page(server, context, tmp_path):
    fake = tmp_path / "photo.jpg"
    fake.write_text("this is not an image\n")
    page = open_page(context, server)
    page.locator("#content input[type=file]").set_input_files(str(fake))
    page.locator("#styles input[type=file]").set_input_files(str(EXAMPLES / "starry_night.jpg"))
    page.locator("#styles img").first.wait_for()
    page.click("#start")
    message = toast(page)
    assert "photo.jpg is not an image file" in message and "/tmp" not in message


def test_truncated_style_image_is_refused_on_the_page(server, context, tmp_path):
    truncated = tmp_path / "painting.jpg"
    data = (EXAMPLES / "starry_night.jpg").read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    page = open_page(context, server)
    page.locator("#content input[type=file]").set_input_files(str(EXAMPLES / "tubingen.jpg"))
    page.locator("#styles input[type=file]").set_input_files(str(truncated))
    page.click("#start")
    message = toast(page)
    assert "painting.jpg: image file is truncated or corrupt" in message and "/tmp" not in message


def test_caps_are_reported_on_the_page(server, context, tmp_path):
    page = open_page(context, server)
    use_examples(page, 500)
    page.click("#start")
    assert "Steps: 500 is above this server's limit of 400" in toast(page)
    page.locator(".toast-body button").first.click()  # close it

    set_options(page, 64, 8)
    wide = tmp_path / "wide.png"
    Image.new("RGB", (1500, 1000)).save(wide)  # 1.5 megapixels, a small file
    page.locator("#content input[type=file]").set_input_files(str(wide))
    page.locator("#content img").first.wait_for()
    page.click("#start")
    assert "wide.png: image is 1500x1000 px (1,500,000 pixels); this server accepts at most 1,000,000" in toast(page)

    big = tmp_path / "big.png"
    big.write_bytes(b"\0" * (2 * 2**20))  # the server takes 1 MB
    page.locator("#content input[type=file]").set_input_files(str(big))
    assert 'exceed the maximum allowed size of 1.0 Mb: "big.png"' in toast(page)


def test_two_pages_queue_and_both_finish(server, browser, context):
    elsewhere = browser.new_context()
    pages = [open_page(context, server), open_page(elsewhere, server), open_page(elsewhere, server)]
    for page, steps in zip(pages, (150, 4, 4)):  # the first runs long enough for the others to queue
        use_examples(page, steps)
    pages[0].click("#start")
    pages[0].locator("#progress progress[value]").wait_for(timeout=JOB_SECONDS)
    pages[1].click("#start")
    wait_for_text(pages[1], "#progress", "queue: 1/1", timeout=15_000)  # one run at a time: the second waits
    pages[2].click("#start")
    wait_for_text(pages[2], "#progress", "queue: 2/2", timeout=15_000)
    pages[2].click("#cancel")  # a cancelled job leaves the queue without running
    wait_for_text(pages[0], "#progress", "Done: 150 iterations")
    wait_for_text(pages[1], "#progress", "Done: 4 iterations")
    wait_for_text(pages[2], "#progress", "Cancelled before it started", timeout=5_000)
    elsewhere.close()


def test_closing_the_tab_frees_the_job(server, browser, context):
    other = browser.new_context()
    first = open_page(other, server)
    use_examples(first, 400)
    first.click("#start")
    first.locator("#progress progress[value]").wait_for(timeout=JOB_SECONDS)
    first.close()
    second = open_page(context, server)
    use_examples(second, 3)
    started = time.monotonic()
    second.click("#start")
    wait_for_text(second, "#progress", "Done: 3 iterations", timeout=30_000)  # 400 iterations would take minutes
    assert time.monotonic() - started < 30
    other.close()
