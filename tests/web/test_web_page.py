"""The page in a real browser: upload, run, watch, cancel, download, errors, queue.

One in-process server (small caps so the limits can be hit cheaply) and headless
Chromium; jobs run at 64 px for a few iterations.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlparse

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
def served(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADIO_TEMP_DIR", str(tmp_path_factory.mktemp("gradio")))  # uploads land here
        page = launch(WebSettings(port=free_port(), max_upload_mb=1, max_pixels=1_000_000, max_steps=400))
        yield page
        page.close()


@pytest.fixture(scope="module")
def server(served):
    return served.local_url


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


def refused_upload(context, server, content):
    """Start a run of ``content`` with the example painting; the message it is refused with."""
    page = open_page(context, server)
    page.locator("#content input[type=file]").set_input_files(str(content))
    page.locator("#styles input[type=file]").set_input_files(str(EXAMPLES / "starry_night.jpg"))
    page.locator("#styles img").first.wait_for()
    page.click("#start")
    return page, toast(page)


def toast(page):
    message = page.locator(".toast-body").first
    message.wait_for(timeout=JOB_SECONDS)  # the refusal comes back through the server's queue
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
    assert metadata["finished"] is False and 1 <= metadata["steps_done"] < 400  # the API's one format
    assert metadata["inputs"]["content"]["name"].endswith("tubingen.jpg")


def test_text_file_named_jpg_is_refused_on_the_page(server, context, tmp_path):
    fake = tmp_path / "photo.jpg"
    fake.write_text("this is not an image\n")
    _, message = refused_upload(context, server, fake)
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
    page.locator(".toast-body button").first.click()  # close it: refusals stay until closed
    page.locator(".toast-body").first.wait_for(state="detached")

    set_options(page, 64, 8)
    wide = tmp_path / "wide.png"
    Image.new("RGB", (1500, 1000)).save(wide)  # 1.5 megapixels, a small file
    page.locator("#content input[type=file]").set_input_files(str(wide))
    page.locator("#content img").first.wait_for()
    page.click("#start")
    assert "wide.png: image is 1500x1000 px (1,500,000 pixels); this server accepts at most 1,000,000" in toast(page)
    page.locator(".toast-body button").first.click()
    page.locator(".toast-body").first.wait_for(state="detached")

    big = tmp_path / "big.png"
    big.write_bytes(b"\0" * (2 * 2**20))  # the server takes 1 MB
    page.locator("#content input[type=file]").set_input_files(str(big))
    assert 'exceed the maximum allowed size of 1.0 Mb: "big.png"' in toast(page)


def test_two_pages_queue_and_both_finish(server, browser, context):
    """States, not timing: the first job runs until this test cancels it, so the
    others are queued behind it whatever the machine's speed."""
    elsewhere = browser.new_context()
    pages = [open_page(context, server), open_page(elsewhere, server), open_page(elsewhere, server)]
    for page, steps in zip(pages, (400, 4, 4)):
        use_examples(page, steps)
    pages[0].click("#start")
    pages[0].locator("#progress progress[value]").wait_for(timeout=JOB_SECONDS)
    pages[1].click("#start")
    wait_for_text(pages[1], "#progress", "queue: 1/1", timeout=15_000)  # one run at a time: the second waits
    pages[2].click("#start")
    wait_for_text(pages[2], "#progress", "queue: 2/2", timeout=15_000)
    pages[2].click("#cancel")  # a waiting job is told it will not start
    wait_for_text(pages[2], "#notice", "Cancelled: the job will not start", timeout=5_000)
    pages[0].click("#cancel")
    wait_for_text(pages[0], "#progress", "Cancelled after")
    wait_for_text(pages[1], "#progress", "Done: 4 iterations")
    wait_for_text(pages[2], "#progress", "Cancelled before it started")
    elsewhere.close()


def test_cancel_after_a_double_start_reaches_the_running_job(server, context):
    page = open_page(context, server)
    use_examples(page, 400)
    page.click("#start")
    page.locator("#progress progress[value]").wait_for(timeout=JOB_SECONDS)
    page.click("#start")  # a second Start while the first job runs
    page.click("#cancel")
    wait_for_text(page, "#notice", "Cancelling: the run stops after the current iteration")
    page.locator("#cancel:disabled").wait_for(timeout=JOB_SECONDS)  # nothing of this page runs or waits now
    wait_for_text(page, "#progress", "Cancelled before it started")  # the second job never ran
    with Image.open(download(page, "#result-file")) as partial:  # the first stopped and kept its image
        assert json.loads(partial.text["stylegram"])["steps_done"] < 400


def job_folders() -> set[Path]:
    jobs = Path(os.environ["GRADIO_TEMP_DIR"]) / "jobs"
    return set(jobs.iterdir()) if jobs.is_dir() else set()


def wait_until(condition, seconds=30):
    """Poll ``condition`` until it holds; the condition is the proof, not the wait."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.1)


def test_closing_the_tab_frees_the_job_and_deletes_its_files(server, browser, context):
    other = browser.new_context()
    first = open_page(other, server)
    before = job_folders()
    use_examples(first, 400)
    first.click("#start")
    first.locator("#progress progress[value]").wait_for(timeout=JOB_SECONDS)
    (folder,) = job_folders() - before
    assert any(folder.glob("preview-*.png"))
    first.close()
    wait_until(lambda: not folder.exists())  # the visitor left: the job's files go
    second = open_page(context, server)
    use_examples(second, 3)
    second.click("#start")
    wait_for_text(second, "#progress", "Done: 3 iterations")  # the 400-iteration job no longer holds the device
    other.close()


def test_a_jobs_files_are_private_to_the_server(server, context):
    root = Path(os.environ["GRADIO_TEMP_DIR"])
    assert root.stat().st_uid == os.getuid() and stat.S_IMODE(root.stat().st_mode) == 0o700
    page = open_page(context, server)
    before = job_folders()
    use_examples(page, 3)
    page.click("#start")
    wait_for_text(page, "#progress", "Done: 3 iterations")
    (folder,) = job_folders() - before
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = list(folder.iterdir())
    assert {f.name for f in files} >= {"tubingen-stylegram.png", "tubingen-comparison.png"}
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 and f.stat().st_uid == os.getuid() for f in files)
    served = page.locator("#result-file a").first.get_attribute("href")
    assert str(folder) in unquote(served)  # served from the job's folder, not from a shared copy


def test_a_file_planted_in_the_shared_gradio_cache_is_not_served(server, tmp_path):
    shared = Path(tempfile.gettempdir()) / "gradio" / "planted-by-another-program"
    shared.mkdir(parents=True, exist_ok=True)
    planted = shared / "secret.png"
    Image.new("RGB", (8, 8)).save(planted)
    for url in (f"{server}/gradio_api/file={planted}", f"{server}/file={planted}"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code in (403, 404)


def test_an_html_file_name_and_value_show_as_text(server, context, tmp_path):
    fake = tmp_path / "<b>bold.jpg"  # a file name cannot hold the closing tag's slash
    fake.write_text("not an image\n")
    page, message = refused_upload(context, server, fake)
    assert "<b>bold.jpg is not an image file" in message  # the tag is shown, not applied
    assert page.locator(".toast-body b").count() == 0


def test_a_refusal_stays_and_the_progress_says_nothing_runs(server, context):
    page = open_page(context, server)
    assert page.locator("#cancel").is_disabled()  # nothing to cancel yet
    use_examples(page, 3)
    size = page.locator("#option-size").get_by_role("textbox")  # in view: no accordion to open and re-render
    size.fill("x<y>")
    size.press("Tab")  # committed to the form before Start reads it
    page.click("#start")
    assert "Size (px): 'x<y>' is not a valid int" in toast(page)
    wait_for_text(page, "#progress", "Not started")
    page.locator("#cancel:disabled").wait_for()  # idle again once the refused job is over
    assert page.locator(".toast-body").count() == 1  # a refusal has no timer: it stays until closed


def test_a_password_server_shows_no_page_without_the_login(tmp_path):
    secret = tmp_path / "password"
    secret.write_text("open sesame\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
        page = launch(WebSettings(port=free_port(), password_file=str(secret)))
        try:
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(f"{page.local_url}config", timeout=10)
            assert refused.value.code == 401
            login = urllib.parse.urlencode({"username": "stylegram", "password": "open sesame"}).encode()
            with urllib.request.urlopen(f"{page.local_url}login", data=login, timeout=10) as answer:
                assert answer.status == 200
        finally:
            page.close()


def call_run_job(served, path):
    """Run a 1-iteration, 64 px job through Gradio's HTTP API with the file at ``path``
    as the content and the style image; returns the event stream's text."""
    job = next(f for f in served.fns.values() if f.name == "run_job")
    values = [{"Size (px)": "64", "Steps": 1}.get(c.label, c.value) for c in job.inputs[2:]]
    image = {"path": str(path), "meta": {"_type": "gradio.FileData"}, "orig_name": Path(path).name}
    body = json.dumps({"data": [image, [{"image": image}], *values]}).encode()
    call = urllib.request.Request(
        f"{served.local_url}gradio_api/call/run_job", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(call, timeout=30) as answer:
        event_id = json.load(answer)["event_id"]
    with urllib.request.urlopen(f"{served.local_url}gradio_api/call/run_job/{event_id}", timeout=JOB_SECONDS / 1000) as events:
        return events.read().decode()


def test_a_file_planted_in_the_shared_gradio_cache_is_not_accepted_as_an_input(served):
    shared = Path(tempfile.gettempdir()) / "gradio" / f"planted-as-input-{os.getpid()}"
    shared.mkdir(parents=True, exist_ok=True)
    planted = shared / "secret.png"
    Image.new("RGB", (64, 64)).save(planted)
    try:
        answer = call_run_job(served, planted)
    finally:
        planted.unlink()
        shared.rmdir()
    assert "event: error" in answer and "event: complete" not in answer
    boundary = "stylegram-test-boundary"
    form = (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="tubingen.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n").encode() + (EXAMPLES / "tubingen.jpg").read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    upload = urllib.request.Request(f"{served.local_url}gradio_api/upload", data=form,
                                    headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(upload, timeout=30) as answer:
        (uploaded,) = json.load(answer)
    assert "event: complete" in call_run_job(served, uploaded)  # the same call with this server's upload runs


def test_an_animated_image_is_said_to_run_on_its_first_frame(server, context, tmp_path):
    animated = tmp_path / "moving.gif"
    frames = [Image.new("RGB", (64, 48), colour) for colour in ("red", "blue")]
    frames[0].save(animated, save_all=True, append_images=frames[1:], duration=100, loop=0)
    page = open_page(context, server)
    use_examples(page, 2)
    page.locator("#styles input[type=file]").set_input_files(str(animated))
    page.locator("#styles img").nth(1).wait_for()
    page.click("#start")
    assert "moving.gif: animated; only the first frame is used." in toast(page)
    wait_for_text(page, "#progress", "Done: 2 iterations")


def open_fast_mode(context, server):
    page = open_page(context, server)
    page.get_by_role("tab", name="Fast").click()
    page.click("#fast-example")
    page.locator("#fast-photo img").first.wait_for()
    return page


def test_fast_mode_paints_the_photo_with_a_built_in_model(server, context):
    page = open_fast_mode(context, server)
    assert page.locator("#fast-model input").input_value() == "Vincent van Gogh, The Starry Night (1889)"  # the painting's title
    before = job_folders()
    page.locator("#fast-size").get_by_role("textbox").fill("128")
    page.locator("#fast-strength").get_by_role("spinbutton").fill("0.5")
    page.locator("#fast-strength").get_by_role("spinbutton").press("Tab")
    page.click("#fast-apply")
    wait_for_text(page, "#fast-status", "Done in")
    assert "128×96 px, starry_night.pt" in page.locator("#fast-status").inner_text()
    page.locator("#fast-result img").first.wait_for()
    with Image.open(download(page, "#fast-result-file")) as result:
        assert result.format == "PNG" and result.size == (128, 96)
        record = json.loads(result.text["stylegram"])
    assert record["method"] == "fast" and record["model"]["painting"] == "starry_night.jpg"
    assert record["strength"] == 0.5 and record["size"] == [128, 96]
    (folder,) = job_folders() - before  # the visitor's own folder, private like the optimization's
    (written,) = folder.iterdir()
    assert written.name == "tubingen-starry_night.png" and stat.S_IMODE(written.stat().st_mode) == 0o600


def test_fast_mode_takes_an_uploaded_model_and_refuses_a_bad_one(server, context, tmp_path):
    page = open_fast_mode(context, server)
    page.locator("#fast-size").get_by_role("textbox").fill("64")
    bad = tmp_path / "mine.pt"
    bad.write_text("not a model\n")
    page.locator("#fast-model-file input[type=file]").set_input_files(str(bad))
    page.locator("#fast-model-file", has_text="mine.pt").wait_for(timeout=JOB_SECONDS)  # uploaded, on a busy server too
    page.click("#fast-apply")
    message = toast(page)
    assert "mine.pt: not a readable model file" in message and "/tmp" not in message
    page.locator(".toast-body button").first.click()
    page.locator(".toast-body").first.wait_for(state="detached")

    from stylegram.fast import builtin_models

    good = tmp_path / "good" / "mine.pt"
    good.parent.mkdir()
    good.write_bytes(builtin_models()["starry_night"].read_bytes())
    page.locator("#fast-model-file button[aria-label='Clear']").first.click()
    page.locator("#fast-model-file input[type=file]").set_input_files(str(good))
    page.locator("#fast-model-file", has_text="mine.pt").wait_for(timeout=JOB_SECONDS)  # uploaded, on a busy server too
    page.click("#fast-apply")
    wait_for_text(page, "#fast-status", "64×48 px, mine.pt")

    page.locator("#fast-size").get_by_role("textbox").fill("5000")
    page.click("#fast-apply")
    assert "Size (px): 5000 px is above this server's limit of 1024 px" in toast(page)
