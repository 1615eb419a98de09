//! A first pass over openapi.yaml's YAML events (yaml-rust2's event parser is a state machine,
//! not recursive). It refuses documents the tree loader would choke on — an alias bomb ("billion
//! laughs": each alias copies its anchor), deep nesting (the loader recurses per level) — and
//! records where scalars are, so diagnostics need no text search per operation.

use std::collections::HashMap;
use yaml_rust2::parser::{Event, Parser};

/// openapi.yaml larger than this is refused before it is parsed.
pub const MAX_CONTRACT_BYTES: usize = 4 << 20;

/// How many nodes openapi.yaml may have once its aliases are expanded (each alias counts the
/// nodes of its anchor; an anchor counts twice, as the loader copies it).
pub const MAX_YAML_NODES: u64 = 100_000;

/// How deeply openapi.yaml's collections may nest.
pub const MAX_YAML_DEPTH: usize = 256;

/// Where things are in openapi.yaml.
#[derive(Debug, Default)]
pub(super) struct Scan {
    /// Byte offset of the first scalar with each text.
    pub(super) scalars: HashMap<String, u32>,
    /// Byte offset of the first `operationId` value with each text.
    pub(super) operations: HashMap<String, u32>,
}

/// Why the document was refused: where, what, and how to fix it.
#[derive(Debug)]
pub(super) struct Refused {
    pub(super) offset: u32,
    pub(super) message: String,
    pub(super) hint: &'static str,
}

/// An open sequence or mapping.
struct Frame {
    anchor: usize,
    /// Node count when it opened (itself included).
    start: u64,
    mapping: bool,
    /// In a mapping: the next child is a key.
    key: bool,
}

/// Scans `text`; `Err` when it is malformed or too large once expanded.
pub(super) fn scan(text: &str) -> Result<Scan, Refused> {
    let mut out = Scan::default();
    let mut offsets = Offsets::new(text);
    let mut parser = Parser::new_from_str(text);
    let mut anchors: HashMap<usize, u64> = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut total: u64 = 0;
    let mut after_operation_id = false;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| Refused {
            offset: offsets.byte(e.marker().index()),
            message: format!("Invalid openapi.yaml: {}", e.info()),
            hint: "fix the YAML syntax",
        })?;
        let at = offsets.byte(mark.index());
        let mut done = None;
        match event {
            Event::StreamEnd => break,
            Event::Scalar(value, _, anchor, _) => {
                let is_key = stack.last().is_some_and(|f| f.mapping && f.key);
                if is_key {
                    after_operation_id = value == "operationId";
                } else if std::mem::take(&mut after_operation_id) {
                    out.operations.entry(value.clone()).or_insert(at);
                }
                out.scalars.entry(value).or_insert(at);
                total += 1;
                done = Some((anchor, 1));
            }
            Event::Alias(id) => {
                after_operation_id = false;
                let size = anchors.get(&id).copied().unwrap_or(1);
                total = total.saturating_add(size);
                done = Some((0, size));
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                after_operation_id = false;
                if stack.len() >= MAX_YAML_DEPTH {
                    return Err(Refused {
                        offset: at,
                        message: format!(
                            "openapi.yaml is nested too deeply (more than {MAX_YAML_DEPTH} levels)"
                        ),
                        hint: "an OpenAPI contract needs a few levels of nesting, not hundreds",
                    });
                }
                total += 1;
                stack.push(Frame {
                    anchor,
                    start: total,
                    mapping: matches!(event, Event::MappingStart(..)),
                    key: true,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(f) = stack.pop() {
                    done = Some((f.anchor, total - f.start + 1));
                }
            }
            _ => {}
        }
        if let Some((anchor, size)) = done {
            if anchor > 0 {
                // The loader keeps a copy of every anchored node.
                anchors.insert(anchor, size);
                total = total.saturating_add(size);
            }
            if let Some(parent) = stack.last_mut() {
                parent.key = !parent.mapping || !parent.key;
            }
        }
        if total > MAX_YAML_NODES {
            return Err(Refused {
                offset: at,
                message: format!(
                    "openapi.yaml is too large once its aliases are expanded (more than {MAX_YAML_NODES} nodes)"
                ),
                hint: "each alias (*name) copies its anchor (&name): repeated aliases of aliases grow exponentially",
            });
        }
    }
    Ok(out)
}

/// Converts the parser's character indices to byte offsets, stepping from the last one (the
/// events come in text order, so the whole scan walks the text about once).
struct Offsets<'a> {
    text: &'a str,
    chars: usize,
    bytes: usize,
}

impl<'a> Offsets<'a> {
    fn new(text: &'a str) -> Self {
        Offsets {
            text,
            chars: 0,
            bytes: 0,
        }
    }

    fn byte(&mut self, char_index: usize) -> u32 {
        while self.chars < char_index {
            let Some(c) = self.text[self.bytes..].chars().next() else {
                break;
            };
            self.chars += 1;
            self.bytes += c.len_utf8();
        }
        while self.chars > char_index {
            let Some(c) = self.text[..self.bytes].chars().next_back() else {
                break;
            };
            self.chars -= 1;
            self.bytes -= c.len_utf8();
        }
        self.bytes as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_aliases_as_their_anchors() {
        let ok = "a: &x [1, 2, 3]\nb: *x\nc: *x\n";
        assert!(scan(ok).is_ok());
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..8 {
            let p = i - 1;
            bomb += &format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n");
        }
        let e = scan(&bomb).expect_err("refused");
        assert!(e.message.contains("aliases"), "{}", e.message);
    }

    #[test]
    fn records_offsets_in_bytes() {
        let s = scan("é: ü\npaths:\n  /a:\n    get:\n      operationId: getA\n").expect("ok");
        assert_eq!(s.scalars["ü"], 4);
        assert_eq!(s.operations["getA"], 48);
    }
}
