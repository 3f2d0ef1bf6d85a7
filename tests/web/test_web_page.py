"""The page in a real browser: upload, run, watch, cancel, download, errors, queue.

One in-process server (small caps so the limits can be hit cheaply) and headless
Chromium; jobs run at 64 px for a few iterations.
"""

from __future__ import annotations

import json
from dataclasses import fields
import os
import socket
import stat
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests
from PIL import Image
from playwright.sync_api import expect

from stylegram import StyleConfig
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
def served():
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("GRADIO_TEMP_DIR", raising=False)  # launch sets it to the server's own folder
        page = launch(WebSettings(port=free_port(), max_upload_mb=1, max_pixels=1_000_000, max_steps=400))
        yield page
        page.close()


@pytest.fixture(scope="module")
def server(served):
    return served.local_url


def job_folders(served):
    return sorted(served.files_root.glob("job-*"))


def wait_until(condition, bound=JOB_SECONDS / 1000):
    """Poll ``condition`` until it holds; the bound is only reached when it never does."""
    deadline = time.monotonic() + bound
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.05)


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


def test_run_shows_progress_and_offers_the_result(served, server, context):
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

    for folder in [served.files_root, *job_folders(served)]:  # only the server's user can read them
        info = folder.stat()
        assert (stat.S_IMODE(info.st_mode), info.st_uid) == (0o700, os.getuid()), folder
    files = [f for folder in job_folders(served) for f in folder.iterdir()]
    assert files and {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o600}

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
    assert metadata["finished"] is False and 1 <= metadata["steps_done"] < 400  # api.run_metadata's format


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




def test_user_text_in_messages_shows_as_text(server, context, tmp_path):
    fake = tmp_path / "<b>bold.jpg"
    fake.write_text("not an image\n")
    page = open_page(context, server)
    page.locator("#content input[type=file]").set_input_files(str(fake))
    page.locator("#styles input[type=file]").set_input_files(str(EXAMPLES / "starry_night.jpg"))
    page.locator("#styles img").first.wait_for()
    page.click("#start")
    assert "<b>bold.jpg is not an image file" in toast(page)
    assert page.locator(".toast-body b").count() == 0


def test_a_refusal_stays_and_says_nothing_is_running(server, context):
    page = open_page(context, server)
    use_examples(page, 4)
    page.locator("#option-size").get_by_role("textbox").fill("0")
    page.click("#start")
    assert "Size (px): " in toast(page)
    wait_for_text(page, "#progress", "Nothing is running")
    assert "queue" not in progress_text(page).lower()
    assert "Size (px): " in toast(page)  # still there after the progress area changed
    expect(page.locator("#cancel")).to_be_disabled()


def test_the_queue_cancel_and_closing_a_tab(served, server, browser, context):
    elsewhere = browser.new_context()
    pages = [open_page(context, server), open_page(elsewhere, server), open_page(elsewhere, server)]
    for page, steps in zip(pages, (400, 4, 4)):
        use_examples(page, steps)
    expect(pages[0].locator("#cancel")).to_be_disabled()  # nothing to cancel yet
    before = set(job_folders(served))
    pages[0].click("#start")
    pages[0].locator("#progress progress[value]").wait_for(timeout=JOB_SECONDS)
    expect(pages[0].locator("#cancel")).to_be_enabled()
    (running_folder,) = set(job_folders(served)) - before
    pages[1].click("#start")
    wait_for_text(pages[1], "#progress", "queue: 1/1")  # one run at a time: the second waits
    pages[2].click("#start")
    wait_for_text(pages[2], "#progress", "queue: 2/2")
    pages[2].click("#cancel")
    wait_for_text(pages[2], "#notice", "will not start")
    pages[0].close()  # the running job's tab: it stops, its files go, the next job runs
    wait_for_text(pages[1], "#progress", "Done: 4 iterations")
    wait_for_text(pages[2], "#progress", "Cancelled before it started")
    wait_until(lambda: served.jobs.busy() == 0 and not running_folder.exists())  # the closed session's files went
    expect(pages[1].locator("#cancel")).to_be_disabled()
    elsewhere.close()


def call_run_job(served, path):
    """Run a 1-iteration, 64 px job through Gradio's HTTP API with ``path`` as both
    images; returns the event stream's text."""
    url = served.local_url
    job = next(f for f in served.fns.values() if f.name == "run_job")
    values = [{"Size (px)": "64", "Steps": 1}.get(c.label, c.value) for c in job.inputs[2:]]
    image = {"path": str(path), "meta": {"_type": "gradio.FileData"}, "orig_name": Path(path).name}
    call = requests.post(f"{url}gradio_api/call/run_job", json={"data": [image, [{"image": image}], *values]}, timeout=30)
    assert call.status_code == 200
    return requests.get(f"{url}gradio_api/call/run_job/{call.json()['event_id']}", timeout=JOB_SECONDS / 1000).text


def test_files_other_programs_left_in_tmp_gradio_are_neither_served_nor_used(served, server):
    shared = Path(tempfile.gettempdir()) / "gradio" / f"planted-{os.getpid()}"
    shared.mkdir(parents=True, exist_ok=True)
    planted = shared / "secret.png"
    Image.new("RGB", (64, 64)).save(planted)
    try:
        assert requests.get(f"{server}gradio_api/file={planted}", timeout=30).status_code in (403, 404)
        answer = call_run_job(served, planted)
        assert "event: error" in answer and "event: complete" not in answer
    finally:
        planted.unlink()
        shared.rmdir()
    with (EXAMPLES / "tubingen.jpg").open("rb") as upload:  # the same call with an upload of this server runs
        (uploaded,) = requests.post(f"{server}gradio_api/upload", files={"files": upload}, timeout=30).json()
    assert "event: complete" in call_run_job(served, uploaded)
    assert requests.get(f"{server}gradio_api/file={uploaded}", timeout=30).status_code == 200


def test_with_a_login_a_request_without_it_gets_no_page():
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("GRADIO_TEMP_DIR", raising=False)
        page = launch(WebSettings(port=free_port()), auth=("ann", "pw"))
        try:
            url = page.local_url
            assert requests.get(f"{url}config", timeout=30).status_code == 401
            assert 'id="start"' not in requests.get(url, timeout=30).text
            session = requests.Session()
            assert session.post(f"{url}login", data={"username": "ann", "password": "no"}, timeout=30).status_code == 400
            assert session.post(f"{url}login", data={"username": "ann", "password": "pw"}, timeout=30).ok
            assert session.get(f"{url}config", timeout=30).status_code == 200
        finally:
            page.close()


def test_an_animated_gif_is_said_to_run_on_its_first_frame(server, context, tmp_path):
    animated = tmp_path / "moving.gif"
    frames = [Image.new("RGB", (64, 48), colour) for colour in ("red", "blue")]
    frames[0].save(animated, save_all=True, append_images=frames[1:], duration=100, loop=0)
    page = open_page(context, server)
    use_examples(page, 2)
    page.locator("#styles input[type=file]").set_input_files(str(animated))
    page.locator("#styles img").nth(1).wait_for()
    page.click("#start")
    assert "moving.gif: an animated image; only its first frame is used." in toast(page)
    wait_for_text(page, "#progress", "Done: 2 iterations")


def test_the_optimizer_input_shows_its_help_text(server, context):
    page = open_page(context, server)
    help_text = next(f for f in fields(StyleConfig) if f.name == "optimizer").metadata["help"]
    assert help_text in page.locator("#option-optimizer").inner_text()
