from officium.testing import add_user, login


def test_login_dashboard_logout(app, client):
    add_user(app, "zhang", name="张三")
    assert client.get("/", follow_redirects=False).headers["location"] == "/login?next=/"
    token = login(client, "zhang")
    page = client.get("/")
    assert page.status_code == 200
    assert "张三，您好" in page.text
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303
