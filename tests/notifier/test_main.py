"""The command's behaviour on bad configuration: a line naming it on stderr, exit status 2."""

from __future__ import annotations

import pytest

from kubeopt_notifier.__main__ import main


@pytest.mark.parametrize(
    ("channels", "message"),
    [
        ('[{"name": "team", "type": "carrier-pigeon"}]', "channel 'team': unknown type"),
        ('[{"name": "ops", "type": "log", "params": {"level": 3}}]', "channel 'ops' (type log)"),
        ('[{"name": "Ops!", "type": "log"}]', "invalid setting KUBEOPT_CHANNELS__0__NAME"),
        (
            '[{"name": "a", "type": "log"}, {"name": "a", "type": "log"}]',
            "invalid setting KUBEOPT_CHANNELS: channel names must be unique; repeated: a",
        ),
    ],
)
def test_bad_channel_configuration_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    channels: str,
    message: str,
) -> None:
    monkeypatch.setenv("KUBEOPT_CHANNELS", channels)
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    # Channels are built after logging is configured, so the error is the last line.
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith(f"kubeopt-notifier: {message}")
