from exporter import open_root


def test_s3_put_if_absent_over_http(moto, s3_bucket):
    storage = open_root(f"s3://{s3_bucket}/exports")
    assert storage.put_if_absent("a/b.bin", b"one") is True
    assert storage.put_if_absent("a/b.bin", b"two") is False
    assert storage.get("a/b.bin") == b"one"
    assert storage.list("a") == ["a/b.bin"]
