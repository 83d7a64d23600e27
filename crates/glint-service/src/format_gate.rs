//! Format safety on the data path: the bytes of an upload (or an import)
//! pass through a [`glint_format::Inspector`] as they stream, and the
//! image's `disk_format` is judged by Glance's rules
//! ([`glint_format::judge`]). As soon as the headers have been seen and
//! the verdict is a refusal, the stream fails, so an unsafe image is not
//! read to its end; otherwise the verdict is given once the stream ends.

use std::io;
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use glint_config::Config;
use glint_domain::{Error, Image, Result};
use glint_format::{judge, FormatPolicy, Inspector, Refusal, Report};
use glint_store::ByteStream;

/// What the bytes of one image must be.
#[derive(Debug, Clone)]
pub struct FormatGate {
    pub disk_format: String,
    pub policy: FormatPolicy,
}

impl FormatGate {
    /// The gate for `image`'s data under `config`, or `None` when Glance
    /// would not inspect it (container formats other than `bare`, or no
    /// disk format).
    pub fn for_image(image: &Image, config: &Config) -> Option<FormatGate> {
        if !FormatPolicy::inspects_container(image.container_format.as_deref()) {
            return None;
        }
        Some(FormatGate {
            disk_format: image.disk_format.clone()?,
            policy: FormatPolicy {
                require_image_format_match: config.require_image_format_match,
                gpt_safety_checks_nonfatal: config.gpt_safety_checks_nonfatal.clone(),
            },
        })
    }

    /// The verdict on `report`: the image's virtual size (when the format
    /// tells it), or the refusal as Glance answers it (415, with the
    /// reason).
    pub fn verdict(&self, report: &Report) -> Result<Option<u64>> {
        match judge(report, &self.disk_format, &self.policy) {
            Ok(accepted) => {
                if let Some(warning) = accepted.warning {
                    tracing::warn!(disk_format = %self.disk_format, "{warning}");
                }
                Ok(accepted.virtual_size)
            }
            Err(refusal) => Err(refused(&refusal)),
        }
    }
}

fn refused(refusal: &Refusal) -> Error {
    Error::UnsupportedMediaType(refusal.to_string())
}

struct Shared {
    inspector: Inspector,
    /// Set when the stream was cut because the headers were refused.
    refusal: Option<Error>,
}

/// The inspection riding on a stream; read it once the stream is done.
pub struct Inspection {
    shared: Arc<Mutex<Shared>>,
    gate: Option<FormatGate>,
}

impl Inspection {
    /// What the bytes were.
    pub fn report(&self) -> Report {
        self.lock().inspector.report()
    }

    /// Whether the stream was cut because the bytes were refused.
    pub fn refused_early(&self) -> bool {
        self.lock().refusal.is_some()
    }

    /// The verdict once the stream has ended: `Ok(virtual_size)` (always
    /// `Ok(None)` without a gate), or the refusal.
    pub fn finish(self) -> Result<Option<u64>> {
        let mut shared = self.lock();
        if let Some(refusal) = shared.refusal.take() {
            return Err(refusal);
        }
        let report = shared.inspector.report();
        drop(shared);
        match &self.gate {
            Some(gate) => gate.verdict(&report),
            None => Ok(None),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Wraps `input` so that its bytes are inspected as they pass; with a
/// `gate`, the stream fails as soon as the headers decide a refusal.
pub fn inspecting_stream(input: ByteStream, gate: Option<FormatGate>) -> (ByteStream, Inspection) {
    let shared = Arc::new(Mutex::new(Shared {
        inspector: Inspector::new(),
        refusal: None,
    }));
    let state = (input, shared.clone(), gate.clone(), false);
    let stream = futures_util::stream::unfold(Some(state), |state| async move {
        let (mut input, shared, gate, mut decided) = state?;
        let chunk = match input.next().await? {
            Ok(chunk) => chunk,
            Err(e) => return Some((Err(e), None)),
        };
        let mut s = shared.lock().unwrap_or_else(|e| e.into_inner());
        s.inspector.feed(&chunk);
        if !decided && s.inspector.is_settled() {
            decided = true;
            if let Some(Err(refusal)) = gate.as_ref().map(|g| g.verdict(&s.inspector.report())) {
                let message = refusal.to_string();
                s.refusal = Some(refusal);
                return Some((
                    Err(io::Error::new(io::ErrorKind::InvalidData, message)),
                    None,
                ));
            }
        }
        drop(s);
        Some((Ok(chunk), Some((input, shared, gate, decided))))
    });
    (Box::pin(stream), Inspection { shared, gate })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn chunks(parts: Vec<Vec<u8>>) -> ByteStream {
        let items: Vec<io::Result<Bytes>> = parts.into_iter().map(|p| Ok(Bytes::from(p))).collect();
        Box::pin(futures_util::stream::iter(items))
    }

    fn gate(disk_format: &str) -> Option<FormatGate> {
        Some(FormatGate {
            disk_format: disk_format.into(),
            policy: FormatPolicy::default(),
        })
    }

    fn qcow2_header(backing: bool) -> Vec<u8> {
        let mut h = vec![0u8; 64 * 1024];
        h[..4].copy_from_slice(b"QFI\xfb");
        h[7] = 3;
        h[24..32].copy_from_slice(&(1u64 << 30).to_be_bytes());
        if backing {
            h[15] = 0x80;
        }
        h
    }

    #[tokio::test]
    async fn bytes_pass_unchanged_and_the_format_gives_the_virtual_size() {
        let parts = vec![qcow2_header(false), vec![1u8; 5000], vec![2u8; 3]];
        let all: Vec<u8> = parts.concat();
        let (mut stream, inspection) = inspecting_stream(chunks(parts), gate("qcow2"));
        let mut seen = Vec::new();
        while let Some(chunk) = stream.next().await {
            seen.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(seen, all);
        assert_eq!(inspection.report().actual_size, all.len() as u64);
        assert_eq!(inspection.finish().unwrap(), Some(1 << 30));
    }

    #[tokio::test]
    async fn an_unsafe_header_cuts_the_stream() {
        let parts = vec![qcow2_header(true), vec![0u8; 1 << 20], vec![0u8; 1 << 20]];
        let (mut stream, inspection) = inspecting_stream(chunks(parts), gate("qcow2"));
        let mut passed = 0;
        let mut failed = false;
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(c) => passed += c.len(),
                Err(e) => {
                    assert_eq!(e.kind(), io::ErrorKind::InvalidData);
                    failed = true;
                }
            }
        }
        assert!(failed);
        assert!(passed < 2 << 20, "{passed}");
        assert!(inspection.refused_early());
        match inspection.finish() {
            Err(Error::UnsupportedMediaType(m)) => assert!(m.contains("backing file"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn without_a_gate_nothing_is_refused() {
        let (mut stream, inspection) = inspecting_stream(chunks(vec![qcow2_header(true)]), None);
        while stream.next().await.is_some() {}
        assert_eq!(
            inspection.report().formats(),
            vec![glint_format::Format::Qcow2]
        );
        assert_eq!(inspection.finish().unwrap(), None);
    }
}
