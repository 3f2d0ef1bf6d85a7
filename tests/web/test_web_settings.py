"""WebSettings validation and the ``stylegram web`` options generated from it."""

from __future__ import annotations

import signal
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
from stylegram.web.settings import PASSWORD_VARIABLE


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
    result = CliRunner().invoke(main, ["web", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for f in fields(WebSettings):
        assert "--" + f.name.replace("_", "-") in result.output
    assert "[default: 127.0.0.1]" in result.output and "[default: 50000000]" in result.output


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


def test_serving_beyond_loopback_needs_a_password_or_the_explicit_flag(monkeypatch, tmp_path):
    monkeypatch.delenv(PASSWORD_VARIABLE, raising=False)
    with pytest.raises(OptionError) as raised:
        WebSettings(host="0.0.0.0")
    assert raised.value.field == "host"
    assert raised.value.render(flag).startswith("--host: 0.0.0.0 serves the page beyond this machine; set a password")
    assert "--allow-unauthenticated" in raised.value.render(flag)
    assert WebSettings(host="0.0.0.0", allow_unauthenticated=True).password() is None
    secret = tmp_path / "password"
    secret.write_text("s3cret\nignored\n")
    assert WebSettings(host="0.0.0.0", password_file=str(secret)).password() == "s3cret"
    monkeypatch.setenv(PASSWORD_VARIABLE, "from-env")
    assert WebSettings(host="0.0.0.0").password() == "from-env"
    assert WebSettings(host="::1").loopback and WebSettings(host="localhost").loopback


def test_the_cli_refuses_an_exposed_server_without_a_password(monkeypatch):
    monkeypatch.delenv(PASSWORD_VARIABLE, raising=False)
    result = CliRunner().invoke(main, ["web", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "stylegram: error: --host: 0.0.0.0 serves the page beyond this machine" in result.output


def test_an_unreadable_password_file_is_a_clear_error(tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("")
    with pytest.raises(OptionError, match=r"^password_file: the first line of .*empty is empty"):
        WebSettings(password_file=str(empty)).password()
    with pytest.raises(OptionError, match=r"^password_file: cannot read .*missing"):
        WebSettings(password_file=str(tmp_path / "missing")).password()


def test_an_exposed_server_starts_only_with_the_explicit_flag_and_says_so(monkeypatch, tmp_path):
    monkeypatch.delenv(PASSWORD_VARIABLE, raising=False)
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))  # the server makes its private folder in here
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "stylegram", "web", "--host", "0.0.0.0", "--port", str(port),
               "--allow-unauthenticated"]
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in server.stderr:  # until the start-up line, or the end of a process that failed
            lines.append(line)
            if "serving the page" in line:
                break
        assert len(list(tmp_path.glob("stylegram-web-*"))) == 1
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl+C
        rest = server.communicate(timeout=60)[1]
    assert server.returncode == 130 and "stylegram: stopped serving the page (Ctrl+C)" in rest
    text = "".join(lines)
    assert f"serving the page on every interface, port {port}" in text
    assert "to anyone who can reach it, WITHOUT a password (--allow-unauthenticated)" in text
    assert not any(tmp_path.glob("stylegram-web-*"))  # stopped with Ctrl+C, it leaves no visitor's file behind
