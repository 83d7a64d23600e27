//! Reading the few values S3's XML answers carry (upload ids, error codes,
//! listed uploads) without a general XML parser: S3 answers are flat and
//! well-formed, and every value read here is a leaf element.

/// The text of every `<tag>…</tag>` in `xml`, in order, unescaped.
pub fn values(xml: &str, tag: &str) -> Vec<String> {
    elements(xml, tag).into_iter().map(unescape).collect()
}

/// The first value of `tag`, if any.
pub fn value(xml: &str, tag: &str) -> Option<String> {
    values(xml, tag).into_iter().next()
}

/// The raw inner text of every `<tag>…</tag>` (also `<tag attr="…">`).
pub fn elements<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(at) = rest.find(&open) {
        let after = &rest[at + open.len()..];
        // `<Upload>` must not match `<UploadId>`.
        let Some(gt) = after.find('>') else { break };
        let head = &after[..gt];
        if !(head.is_empty() || head == "/" || head.starts_with(char::is_whitespace)) {
            rest = after;
            continue;
        }
        if head.ends_with('/') {
            out.push("");
            rest = &after[gt + 1..];
            continue;
        }
        let body = &after[gt + 1..];
        let Some(end) = body.find(&close) else { break };
        out.push(&body[..end]);
        rest = &body[end + close.len()..];
    }
    out
}

pub fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&amp;", "&")
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_uploads_and_escaped_values() {
        let xml = r#"<?xml version="1.0"?><ListMultipartUploadsResult xmlns="x">
            <Bucket>b</Bucket><IsTruncated>false</IsTruncated>
            <Upload><Key>k1</Key><UploadId>u1</UploadId><Initiated>2026-01-01T00:00:00.000Z</Initiated></Upload>
            <Upload><Key>a&amp;b</Key><UploadId>u2</UploadId></Upload>
            </ListMultipartUploadsResult>"#;
        let uploads = elements(xml, "Upload");
        assert_eq!(uploads.len(), 2);
        assert_eq!(value(uploads[0], "UploadId").as_deref(), Some("u1"));
        assert_eq!(value(uploads[1], "Key").as_deref(), Some("a&b"));
        assert_eq!(value(xml, "IsTruncated").as_deref(), Some("false"));
        assert_eq!(
            value("<ETag>&quot;abc&quot;</ETag>", "ETag").as_deref(),
            Some("\"abc\"")
        );
        assert_eq!(value("<X/>", "X").as_deref(), Some(""));
    }
}
