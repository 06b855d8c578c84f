import json


def test_extract_reads_a_manifest_with_each_pages_own_url_and_can_skip_entities(tmp_path, workspace):
    paragraphs = "".join(f"<p>Paragraph {n}: the council voted on the harbour plan that residents opposed for "
                         f"months because of the noise and traffic it brings.</p>" for n in range(6))
    manifest = tmp_path / "manifest.jsonl"
    with manifest.open("w") as lines:
        for name in ("one", "two"):
            page = tmp_path / f"{name}.html"
            page.write_text(f"<html><head><link rel='canonical' href='/{name}'><title>{name}</title></head>"
                            f"<body><article><h1>{name}</h1>{paragraphs}</article></body></html>")
            lines.write(json.dumps({"path": str(page), "url": f"https://{name}.example.test/story"}) + "\n")
    result = workspace.newswatch("extract", "--manifest", str(manifest), "--no-entities")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["url"] for r in records] == ["https://one.example.test/story", "https://two.example.test/story"]
    assert [r["source"] for r in records] == [str(tmp_path / "one.html"), str(tmp_path / "two.html")]
    assert all("entities" not in r and "Paragraph 5" in r["text"] for r in records)


def test_a_bad_manifest_line_is_a_usage_error_naming_it(tmp_path, workspace):
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text('{"url": "https://x.test/"}\n')
    result = workspace.newswatch("extract", "--manifest", str(manifest), check=False)
    assert result.returncode == 2 and "line 1" in result.stderr
