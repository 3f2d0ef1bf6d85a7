"""WebSettings validation and the ``stylegram web`` options generated from it."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from dataclasses import fields

import pytest
from click.testing import CliRunner

from stylegram.config import flag
from stylegram.cli import main
from stylegram.errors import OptionError
from stylegram.web import WebSettings


def test_defaults_are_loopback_and_documented_caps():
    settings = WebSettings()
    assert (settings.host, settings.port, settings.concurrency) == ("127.0.0.1", 7860, 1)
    assert settings.max_upload_bytes == 20 * 2**20


@pytest.mark.parametrize(
    ("overrides", "option"),
    [({"port": 70000}, "--port"), ({"max_size": 16}, "--max-size"), ({"concurrency": 0}, "--concurrency"),
     ({"max_upload_mb": 0}, "--max-upload-mb")],
)
def test_out_of_range_setting_names_the_option(overrides, option):
    with pytest.raises(OptionError) as raised:
        WebSettings(**overrides)
    assert raised.value.field == option[2:].replace("-", "_")
    assert raised.value.render(flag).startswith(f"{option}: ")


def test_web_help_lists_every_setting_with_its_default():
    result = CliRunner().invoke(main, ["web", "--help"])
    assert result.exit_code == 0
    for f in fields(WebSettings):
        assert "--" + f.name.replace("_", "-") in result.output
    assert re.search(r"\[default:\s+127\.0\.0\.1\]", result.output)
    assert re.search(r"\[default:\s+50000000\]", result.output)


def test_bad_web_option_exits_2_without_starting_a_server():
    result = CliRunner().invoke(main, ["web", "--max-steps", "0"])
    assert result.exit_code == 2
    assert "--max-steps: must be at least 1, got 0" in result.output


def test_gradio_is_not_imported_by_the_package_or_the_cli():
    code = "import sys, stylegram, stylegram.cli.main, stylegram.web; print('gradio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_taken_port_exits_2_with_the_address():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["web", "--port", str(port)])
    assert result.exit_code == 2
    assert f"stylegram: error: cannot serve on 127.0.0.1:{port} (" in result.output


def test_an_exposed_host_without_a_login_is_refused():
    result = CliRunner().invoke(main, ["web", "--host", "0.0.0.0", "--port", "1"], env={"STYLEGRAM_WEB_PASSWORD": ""})
    assert result.exit_code == 2
    assert "--host: 0.0.0.0 serves beyond this machine; require a login with --user" in result.output
    assert "--allow-unauthenticated" in result.output


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.1.2.3"])
def test_loopback_hosts_need_no_login(host):
    assert WebSettings(host=host).credentials({}) is None


def test_the_password_comes_from_a_file_or_the_environment(tmp_path):
    secret = tmp_path / "password"
    secret.write_text("s3cret\nignored\n")
    assert WebSettings(user="ann", password_file=str(secret)).credentials({}) == ("ann", "s3cret")
    assert WebSettings(user="ann").credentials({"STYLEGRAM_WEB_PASSWORD": "pw"}) == ("ann", "pw")
    exposed = WebSettings(host="0.0.0.0", user="ann")
    assert exposed.credentials({"STYLEGRAM_WEB_PASSWORD": "pw"}) == ("ann", "pw")
    assert WebSettings(host="0.0.0.0", allow_unauthenticated=True).credentials({}) is None


@pytest.mark.parametrize(
    ("settings", "message"),
    [({"user": "ann"}, "--user: no password; put it in a file given with --password-file or in STYLEGRAM_WEB_PASSWORD"),
     ({"password_file": "pw.txt"}, "--password-file: give the user name with --user"),
     ({"user": "ann", "password_file": "/nonexistent/pw"}, "--password-file: cannot read /nonexistent/pw")],
)
def test_a_login_without_a_password_is_refused(settings, message):
    with pytest.raises(OptionError) as raised:
        WebSettings(**settings).credentials({})
    assert raised.value.render(flag).startswith(message)


def test_an_exposed_host_starts_only_with_the_explicit_flag_and_says_so():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "stylegram", "web", "--host", "0.0.0.0", "--port", str(port),
               "--allow-unauthenticated"]
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in server.stderr:  # until the start-up line (or the process ends)
            lines.append(line)
            if "serving the page at" in line:
                break
    finally:
        server.terminate()
        server.wait(timeout=60)
    text = "".join(lines)
    assert "warning: no login (--allow-unauthenticated): anyone who can reach the port may use the page" in text
    assert f"serving the page at http://0.0.0.0:{port}/ (Ctrl+C to stop)" in text
