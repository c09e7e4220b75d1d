"""Rich text (officium.core.richtext): an XSS corpus, Word paste, and the plain-text rendering."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from officium.core.richtext import html_to_text, sanitize_html

#: (input, what must not survive) — each a known way to run script or leave the page.
XSS = [
    ("<script>alert(1)</script>", "alert"),
    ("<SCRIPT SRC=//evil.example/x.js></SCRIPT>", "evil"),
    ("<ScRiPt>alert(1)</sCrIpT>", "alert"),
    ("<img src=x onerror=alert(1)>", "onerror"),
    ('<IMG SRC="x" ONERROR="alert(1)">', "alert"),
    ("<svg onload=alert(1)><circle r=1 /></svg>", "onload"),
    ("<svg><script>alert(1)</script></svg>", "alert"),
    ('<a href="javascript:alert(1)">点我</a>', "javascript"),
    ('<a href="JaVaScRiPt:alert(1)">点我</a>', "alert"),
    ('<a href="jav&#x61;script:alert(1)">点我</a>', "alert"),
    ('<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">点我</a>', "alert"),
    ('<a href="java\tscript:alert(1)">点我</a>', "alert"),
    ('<a href=" javascript:alert(1)">点我</a>', "alert"),
    ('<a href="vbscript:msgbox(1)">点我</a>', "vbscript"),
    ('<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">点我</a>', "data:"),
    ('<img src="data:image/svg+xml,<svg onload=alert(1)>">', "data:"),
    ('<a href="//evil.example/phish">登录</a>', "evil"),
    ('<p style="width: expression(alert(1))">文字</p>', "expression"),
    ('<p style="background:url(javascript:alert(1))">文字</p>', "javascript"),
    ('<div style="behavior: url(x.htc)">文字</div>', "behavior"),
    ("<style>body{background:url(javascript:alert(1))}</style>文字", "javascript"),
    ('<iframe src="https://evil.example"></iframe>', "iframe"),
    ('<iframe srcdoc="<script>alert(1)</script>"></iframe>', "alert"),
    ('<object data="evil.swf"><param name=x value=y></object>', "object"),
    ('<embed src="evil.swf">', "embed"),
    ('<form action="https://evil.example"><input name=password><button>提交</button></form>', "form"),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example">', "refresh"),
    ('<base href="https://evil.example/">', "base"),
    ('<link rel=stylesheet href="https://evil.example/x.css">', "link"),
    ("<p>未闭合 <b>加粗 <img src=x onerror=alert(1)", "onerror"),
    ("<<script>alert(1)//<</script>", "<script"),
    ('<a href="https://ok.example" onclick="alert(1)">x</a>', "onclick"),
    ('<body onload="alert(1)">x</body>', "onload"),
    ("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", "onerror"),
    ('<noscript><p title="</noscript><img src=x onerror=alert(1)>">', "onerror"),
    ('<details open ontoggle="alert(1)">x</details>', "ontoggle"),
    ('<table background="javascript:alert(1)"><tr><td>x</td></tr></table>', "javascript"),
    ('<input autofocus onfocus="alert(1)">', "onfocus"),
    ("<template><script>alert(1)</script></template>", "alert"),
    ("<!--<img src=x onerror=alert(1)>-->", "onerror"),
]


@pytest.mark.parametrize(("dirty", "forbidden"), XSS)
def test_xss_corpus_is_neutralised(dirty, forbidden):
    clean = sanitize_html(dirty)
    assert forbidden.lower() not in clean.lower()
    assert not re.search(r"\son\w+\s*=", clean, re.I)
    assert not re.search(
        r"<(script|style|iframe|object|embed|form|input|meta|base|link|svg|math)\b", clean, re.I
    )
    # the cleaner is stable: cleaning the output again changes nothing
    assert sanitize_html(clean) == clean


def test_allowed_structure_survives():
    html = (
        "<h2>一、总体要求</h2><p>请各单位<strong>认真</strong>落实<em>有关</em><u>要求</u>。</p>"
        '<ol start="2"><li>第一项</li><li>第二项</li></ol><ul><li>要点</li></ul>'
        '<table><thead><tr><th scope="col">单位</th><th>人数</th></tr></thead>'
        '<tbody><tr><td colspan="2">办公室</td></tr></tbody></table>'
        '<p><a href="https://www.gov.cn/zhengce/">政策</a> <a href="/bulletin/12">公告</a>'
        ' <a href="mailto:ban@example.gov.cn">来信</a></p>'
        '<p><img src="/static/bulletin/logo.png" alt="局徽" width="120" height="60"></p><blockquote>引文</blockquote>'
    )
    assert sanitize_html(html) == (
        "<h2>一、总体要求</h2><p>请各单位<strong>认真</strong>落实<em>有关</em><u>要求</u>。</p>"
        '<ol start="2"><li>第一项</li><li>第二项</li></ol><ul><li>要点</li></ul>'
        '<table><thead><tr><th scope="col">单位</th><th>人数</th></tr></thead>'
        '<tbody><tr><td colspan="2">办公室</td></tr></tbody></table>'
        '<p><a href="https://www.gov.cn/zhengce/" rel="noopener noreferrer">政策</a>'
        ' <a href="/bulletin/12" rel="noopener noreferrer">公告</a>'
        ' <a href="mailto:ban@example.gov.cn" rel="noopener noreferrer">来信</a></p>'
        '<p><img src="/static/bulletin/logo.png" alt="局徽" width="120" height="60"></p><blockquote>引文</blockquote>'
    )


def test_links_get_a_safe_rel_and_bad_values_are_dropped():
    assert sanitize_html('<a href="https://a.example" rel="opener" target="_blank">x</a>') == (
        '<a href="https://a.example" rel="noopener noreferrer">x</a>'
    )
    assert sanitize_html('<img src="https://a.example/p.png" width="100%" height="expression(1)">') == (
        '<img src="https://a.example/p.png" width="100%">'
    )
    assert sanitize_html("") == ""


WORD_PASTE = """<html xmlns:o="urn:schemas-microsoft-com:office:office"
xmlns:w="urn:schemas-microsoft-com:office:word" xmlns="http://www.w3.org/TR/REC-html40">
<head><meta name=ProgId content=Word.Document><title>通知</title>
<!--[if gte mso 9]><xml><w:WordDocument><w:View>Normal</w:View><w:Zoom>0</w:Zoom></w:WordDocument></xml><![endif]-->
<style><!-- /* Style Definitions */ p.MsoNormal {mso-style-unhide:no; mso-style-qformat:yes; margin:0cm;
font-family:"Calibri",sans-serif; mso-fareast-font-family:宋体;} --></style></head>
<body lang=ZH-CN style='tab-interval:21.0pt'><div class=WordSection1 style='layout-grid:15.6pt'>
<p class=MsoNormal align=center style='text-align:center;mso-line-height-alt:28pt'><b><span
style='font-size:22.0pt;font-family:方正小标宋简体;mso-hansi-font-family:"Times New Roman"'>关于做好春节期间值班工作的通知<span
lang=EN-US><o:p></o:p></span></span></b></p>
<p class=MsoNormal><span lang=EN-US><o:p>&nbsp;</o:p></span></p>
<p class=MsoListParagraph style='margin-left:18.0pt;text-indent:-18.0pt;mso-list:l0 level1 lfo1'><![if !supportLists]><span
lang=EN-US style='mso-bidi-font-family:Calibri'><span style='mso-list:Ignore'>1.<span style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp;&nbsp;
</span></span></span><![endif]><span style='font-family:仿宋_GB2312'>各单位安排专人值班。<o:p></o:p></span></p>
<!--[if supportFields]><span style='mso-element:field-begin'></span><![endif]-->
<table class=MsoTableGrid border=1 cellspacing=0 style='border-collapse:collapse;mso-yfti-tbllook:1184'>
<tr style='mso-yfti-irow:0'><td width=100 valign=top style='width:75pt'><p class=MsoNormal>日期<o:p></o:p></p></td>
<td width=100 style='mso-border-alt:solid windowtext .5pt'><p class=MsoNormal>值班人<o:p></o:p></p></td></tr>
</table></div></body></html>"""


def test_word_paste_is_cleaned_to_plain_structure():
    clean = sanitize_html(WORD_PASTE)
    for junk in ("mso", "Mso", "class=", "style=", "<o:p", "o:p>", "[if", "endif", "WordDocument", "Normal",
                 "<span", "lang=", "Calibri", "<title", "<meta", "xml"):  # fmt: skip
        assert junk not in clean, junk
    assert clean.startswith("<div>\n<p><b>关于做好春节期间值班工作的通知</b></p>")
    assert "<p>1.&nbsp;&nbsp;&nbsp;\n各单位安排专人值班。</p>" in clean
    assert "<table>\n<tbody><tr><td><p>日期</p></td>" in clean
    assert "<td><p>值班人</p></td>" in clean
    assert "<p>&nbsp;</p>" not in clean and "<p></p>" not in clean  # Word's empty spacer paragraphs


def test_html_to_text_gives_lines_without_markup_or_scripts():
    assert html_to_text(WORD_PASTE) == (
        "关于做好春节期间值班工作的通知\n1. 各单位安排专人值班。\n日期\n值班人"
    )
    assert (
        html_to_text(
            "<h1>标题</h1><p>第一段<br>第二行&amp;更多</p><script>alert(1)</script><ul><li>甲</li><li>乙</li></ul>"
            '<p><img src="/x.png" alt="示意图"> <a href="javascript:x">链接</a></p>'
        )
        == "标题\n第一段\n第二行&更多\n甲\n乙\n示意图 链接"
    )
    assert html_to_text("<pre>第一行\n  缩进行</pre><p>源码\n换行</p>") == "第一行\n缩进行\n源码 换行"
    assert html_to_text("") == ""
    assert html_to_text("纯文本 &lt;不是标签&gt;") == "纯文本 <不是标签>"


_FRAGMENTS = st.sampled_from(
    [
        "<script>", "</script>", "<img src=x onerror=alert(1)>", "<a href='javascript:x'>", "<svg onload=x>",
        "<p>", "</p>", "<b>", "<style>", "<!--", "-->", "<![CDATA[", "]]>", "&lt;", "&#x3c;", "<", ">", "'", '"',
        "=", "on", "javascript:", "<iframe>", "<o:p>", "<table><tr><td>", "正文", " ", "\n",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_FRAGMENTS, st.text(max_size=5)), max_size=30).map("".join))
def test_no_input_yields_script_and_cleaning_is_stable(html):
    clean = sanitize_html(html)
    assert not re.search(r"<(script|style|iframe|svg)\b", clean, re.I)
    assert not re.search(r"<[^>]*\son\w+\s*=", clean, re.I)
    assert not re.search(r"(href|src)=\"[^\"]*javascript:", clean, re.I)
    assert sanitize_html(clean) == clean
    html_to_text(html)  # never raises
