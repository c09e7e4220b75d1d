from tests.plugins.docs_outgoing.conftest import draft


def test_a_draft_is_saved_and_shown(bureau, browsers):
    s = browsers("nigao")
    doc_id = draft(s)
    page = s.get(f"/docs_outgoing/{doc_id}")
    assert page.status_code == 200
    assert "做好考核工作" in page.text
