"""A compose form shown again after a refusal carries the body sanitised: mail.js loads the textarea's HTML
into the live editor, so unsanitised markup typed or pasted there must not come back."""

from __future__ import annotations

from tests.plugins.mail.conftest import signed_in

PAYLOAD = '<p>请查收</p><img src="x" onerror="alert(1)"><a href="javascript:alert(2)">链接</a><script>alert(3)</script>'


def test_a_refused_compose_shows_the_body_sanitised(site):
    with signed_in(site, "zhou") as zhou:
        answer = zhou.post(
            "/mail/compose", data={"to": "nobody-here", "subject": "测试", "body": PAYLOAD, "action": "send"}
        )
        assert answer.status_code == 400
        textarea = answer.text.split('name="body"', 1)[1].split("</textarea>", 1)[0]
        assert "请查收" in textarea
        for bad in ("onerror", "javascript:", "script"):
            assert bad not in textarea, bad
