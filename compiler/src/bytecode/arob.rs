//! The `.arob` file: header (magic `AROB`, format version, flags, FNV-1a checksum of the body) and
//! sections (strings, files, feature sets, resources). The reader validates every index and jump,
//! so the interpreter can index without risk of panic.
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `AROB` |
//! | 4 | 2 | format version (LE) |
//! | 6 | 2 | flags (0) |
//! | 8 | 4 | FNV-1a 32 of the body (LE) |
//! | 12 | 8 | body length (LE) |
//! | 20 | .. | body: strings, files, feature sets, resources, http port, routes (varint-encoded) |

use super::encode::{DResult, DecodeError, Reader, Writer};
use super::{Arg, ClauseInfo, Const, Desc, FeatureSetCode, Op, Program, Resource, StmtInfo, NONE};

/// File magic.
pub const MAGIC: &[u8; 4] = b"AROB";
/// Current format version.
pub const FORMAT_VERSION: u16 = 2;
const HEADER_LEN: usize = 20;

fn fnv1a(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in bytes {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Serializes a program to `.arob` bytes.
pub fn write(p: &Program) -> Vec<u8> {
    let mut w = Writer::default();
    w.u64(p.strings.len() as u64);
    for s in &p.strings {
        w.bytes(s.as_bytes());
    }
    w.u64(p.files.len() as u64);
    for &f in &p.files {
        w.u32(f);
    }
    w.u64(p.feature_sets.len() as u64);
    for fs in &p.feature_sets {
        write_fs(&mut w, fs);
    }
    w.u64(p.resources.len() as u64);
    for r in &p.resources {
        w.bytes(r.path.as_bytes());
        w.bytes(&r.bytes);
    }
    w.u32(p.http_port as u32);
    w.u64(p.routes.len() as u64);
    for r in &p.routes {
        w.u32(r.method);
        w.u32(r.path);
        w.u32(r.operation);
        w.u32(r.handler);
        w.u64(r.array_params.len() as u64);
        for &a in &r.array_params {
            w.u32(a);
        }
    }
    let body = w.buf;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&fnv1a(&body).to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

fn write_arg(w: &mut Writer, a: &Arg) {
    match a {
        Arg::Desc(i) => w.u32(*i),
        Arg::Expr => w.u32(NONE),
    }
}

fn write_fs(w: &mut Writer, fs: &FeatureSetCode) {
    w.u32(fs.name);
    w.u32(fs.activity);
    w.u32(fs.guard);
    w.u64(fs.slots.len() as u64);
    for &s in &fs.slots {
        w.u32(s);
    }
    w.u64(fs.code.len() as u64);
    for op in &fs.code {
        w.op(op);
    }
    w.u64(fs.consts.len() as u64);
    for c in &fs.consts {
        match c {
            Const::Null => w.u8(0),
            Const::Bool(b) => {
                w.u8(1);
                w.u8(*b as u8)
            }
            Const::Int(i) => {
                w.u8(2);
                w.i64(*i)
            }
            Const::Float(f) => {
                w.u8(3);
                w.f64(*f)
            }
            Const::Str(s) => {
                w.u8(4);
                w.u32(*s)
            }
            Const::Regex(p, f) => {
                w.u8(5);
                w.u32(*p);
                w.u32(*f)
            }
        }
    }
    w.u64(fs.descs.len() as u64);
    for d in &fs.descs {
        w.u32(d.base);
        w.u32(d.slot);
        w.u64(d.specs.len() as u64);
        for &s in &d.specs {
            w.u32(s);
        }
    }
    w.u64(fs.stmts.len() as u64);
    for s in &fs.stmts {
        w.u32(s.action as u32);
        w.u32(s.verb);
        write_arg(w, &s.result);
        w.u64(s.clauses.len() as u64);
        for c in &s.clauses {
            w.u32(c.word);
            write_arg(w, &c.arg);
            w.u8(c.article as u8);
        }
        w.u32(s.text);
        w.u32(s.file);
        w.u32(s.line);
    }
    for table in [&fs.shapes, &fs.clears] {
        w.u64(table.len() as u64);
        for list in table.iter() {
            w.u64(list.len() as u64);
            for &x in list.iter() {
                w.u32(x);
            }
        }
    }
}

/// Why an `.arob` file was rejected.
#[derive(Debug, PartialEq, Eq)]
pub enum LoadError {
    /// Not an `.arob` file at all.
    BadMagic,
    /// Written by another format version.
    Version(u16),
    /// Body checksum mismatch (corrupted file).
    Checksum,
    /// Structural problem while decoding.
    Decode(DecodeError),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::BadMagic => write!(f, "not an .arob file (bad magic)"),
            LoadError::Version(v) => write!(
                f,
                "unsupported .arob format version {v} (this arovm reads version {FORMAT_VERSION}); rebuild the app"
            ),
            LoadError::Checksum => write!(f, "corrupted .arob file (checksum mismatch)"),
            LoadError::Decode(e) => write!(f, "corrupted .arob file: {e}"),
        }
    }
}

impl From<DecodeError> for LoadError {
    fn from(e: DecodeError) -> Self {
        LoadError::Decode(e)
    }
}

/// Parses and fully validates `.arob` bytes.
pub fn read(bytes: &[u8]) -> Result<Program, LoadError> {
    if bytes.len() < 4 || &bytes[..4] != MAGIC {
        return Err(LoadError::BadMagic);
    }
    if bytes.len() < HEADER_LEN {
        return Err(DecodeError::Truncated("header").into());
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if version != FORMAT_VERSION {
        return Err(LoadError::Version(version));
    }
    let sum = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    let mut len8 = [0u8; 8];
    len8.copy_from_slice(&bytes[12..20]);
    let len = u64::from_le_bytes(len8);
    let body = &bytes[HEADER_LEN..];
    if (body.len() as u64) < len {
        return Err(DecodeError::Truncated("body").into());
    }
    if (body.len() as u64) > len {
        return Err(DecodeError::Malformed("trailing bytes after the body".into()).into());
    }
    if fnv1a(body) != sum {
        return Err(LoadError::Checksum);
    }
    let mut r = Reader { buf: body, pos: 0 };
    let p = read_body(&mut r)?;
    validate(&p)?;
    Ok(p)
}

fn read_body(r: &mut Reader) -> DResult<Program> {
    let mut p = Program::default();
    let n = r.count("string table")?;
    for _ in 0..n {
        let b = r.bytes("string")?;
        let s = std::str::from_utf8(b)
            .map_err(|_| DecodeError::Malformed("string table entry is not UTF-8".into()))?;
        p.strings.push(s.to_string());
    }
    let n = r.count("file list")?;
    for _ in 0..n {
        p.files.push(r.u32("file")?);
    }
    let n = r.count("feature sets")?;
    for _ in 0..n {
        p.feature_sets.push(read_fs(r)?);
    }
    let n = r.count("resources")?;
    for _ in 0..n {
        let path = std::str::from_utf8(r.bytes("resource path")?)
            .map_err(|_| DecodeError::Malformed("resource path is not UTF-8".into()))?
            .to_string();
        let bytes = r.bytes("resource")?.to_vec();
        p.resources.push(Resource { path, bytes });
    }
    let port = r.u32("http port")?;
    p.http_port = u16::try_from(port)
        .map_err(|_| DecodeError::Malformed(format!("http port {port} out of range")))?;
    let n = r.count("routes")?;
    for _ in 0..n {
        p.routes.push(super::RouteInfo {
            method: r.u32("route")?,
            path: r.u32("route")?,
            operation: r.u32("route")?,
            handler: r.u32("route")?,
            array_params: read_list(r, "route")?,
        });
    }
    if r.pos != r.buf.len() {
        return Err(DecodeError::Malformed("trailing bytes in body".into()));
    }
    Ok(p)
}

fn read_arg(r: &mut Reader) -> DResult<Arg> {
    let v = r.u32("operand")?;
    Ok(if v == NONE { Arg::Expr } else { Arg::Desc(v) })
}

fn read_list(r: &mut Reader, what: &'static str) -> DResult<Vec<u32>> {
    let n = r.count(what)?;
    (0..n).map(|_| r.u32(what)).collect()
}

fn read_fs(r: &mut Reader) -> DResult<FeatureSetCode> {
    let mut fs = FeatureSetCode {
        name: r.u32("feature set name")?,
        activity: r.u32("feature set activity")?,
        guard: r.u32("guard")?,
        ..Default::default()
    };
    fs.slots = read_list(r, "slots")?;
    let n = r.count("code")?;
    for _ in 0..n {
        fs.code.push(r.op()?);
    }
    let n = r.count("constants")?;
    for _ in 0..n {
        let c = match r.u8("constant")? {
            0 => Const::Null,
            1 => Const::Bool(r.u8("constant")? != 0),
            2 => Const::Int(r.i64("constant")?),
            3 => Const::Float(r.f64("constant")?),
            4 => Const::Str(r.u32("constant")?),
            5 => Const::Regex(r.u32("constant")?, r.u32("constant")?),
            t => return Err(DecodeError::Malformed(format!("unknown constant tag {t}"))),
        };
        fs.consts.push(c);
    }
    let n = r.count("descriptors")?;
    for _ in 0..n {
        fs.descs.push(Desc {
            base: r.u32("descriptor")?,
            slot: r.u32("descriptor")?,
            specs: read_list(r, "descriptor")?,
        });
    }
    let n = r.count("statements")?;
    for _ in 0..n {
        let action = r.u32("statement")?;
        let action = u16::try_from(action)
            .map_err(|_| DecodeError::Malformed(format!("action id {action} out of range")))?;
        let verb = r.u32("statement")?;
        let result = read_arg(r)?;
        let nc = r.count("clauses")?;
        let mut clauses = Vec::with_capacity(nc);
        for _ in 0..nc {
            clauses.push(ClauseInfo {
                word: r.u32("clause")?,
                arg: read_arg(r)?,
                article: r.u8("clause")? != 0,
            });
        }
        fs.stmts.push(StmtInfo {
            action,
            verb,
            result,
            clauses,
            text: r.u32("statement")?,
            file: r.u32("statement")?,
            line: r.u32("statement")?,
        });
    }
    let n = r.count("shapes")?;
    for _ in 0..n {
        fs.shapes.push(read_list(r, "shape")?);
    }
    let n = r.count("clear lists")?;
    for _ in 0..n {
        fs.clears.push(read_list(r, "clear list")?);
    }
    Ok(fs)
}

/// Checks every index in the program against its table.
fn validate(p: &Program) -> Result<(), DecodeError> {
    let ns = p.strings.len() as u32;
    let bad = |what: &str, v: u32| DecodeError::Malformed(format!("{what} index {v} out of range"));
    let s_ok = |v: u32, what: &str| if v < ns { Ok(()) } else { Err(bad(what, v)) };
    for &f in &p.files {
        s_ok(f, "file name")?;
    }
    for r in &p.routes {
        s_ok(r.method, "route method")?;
        s_ok(r.path, "route path")?;
        s_ok(r.operation, "route operation")?;
        for &a in &r.array_params {
            s_ok(a, "route parameter")?;
        }
        if r.handler != NONE && r.handler as usize >= p.feature_sets.len() {
            return Err(bad("route handler", r.handler));
        }
    }
    for fs in &p.feature_sets {
        s_ok(fs.name, "name")?;
        s_ok(fs.activity, "activity")?;
        let nslots = fs.slots.len() as u32;
        for &s in &fs.slots {
            if s != NONE {
                s_ok(s, "slot name")?;
            }
        }
        let ncode = fs.code.len() as u32;
        if fs.guard != NONE && fs.guard >= ncode {
            return Err(bad("guard", fs.guard));
        }
        if fs.code.last() != Some(&Op::End) {
            return Err(DecodeError::Malformed(
                "feature set code does not end with End".into(),
            ));
        }
        for c in &fs.consts {
            match *c {
                Const::Str(s) => s_ok(s, "constant string")?,
                Const::Regex(a, b) => {
                    s_ok(a, "regex")?;
                    s_ok(b, "regex flags")?
                }
                _ => {}
            }
        }
        for d in &fs.descs {
            s_ok(d.base, "descriptor name")?;
            if d.slot != NONE && d.slot >= nslots {
                return Err(bad("descriptor slot", d.slot));
            }
            for &s in &d.specs {
                s_ok(s, "specifier")?;
            }
        }
        let ndesc = fs.descs.len() as u32;
        let arg_ok = |a: &Arg| match *a {
            Arg::Desc(d) if d >= ndesc => Err(bad("operand descriptor", d)),
            _ => Ok(()),
        };
        for st in &fs.stmts {
            s_ok(st.verb, "verb")?;
            s_ok(st.text, "statement text")?;
            if st.file as usize >= p.files.len() {
                return Err(bad("statement file", st.file));
            }
            arg_ok(&st.result)?;
            for c in &st.clauses {
                s_ok(c.word, "clause word")?;
                arg_ok(&c.arg)?;
            }
        }
        for list in &fs.shapes {
            for &k in list {
                s_ok(k, "object key")?;
            }
        }
        for list in &fs.clears {
            for &k in list {
                if k >= nslots {
                    return Err(bad("cleared slot", k));
                }
            }
        }
        let in_code = |t: u32| {
            if t <= ncode {
                Ok(())
            } else {
                Err(bad("jump target", t))
            }
        };
        let nconst = fs.consts.len() as u32;
        for op in &fs.code {
            match *op {
                Op::Const(i) if i >= nconst => return Err(bad("constant", i)),
                Op::Load(i) | Op::Exists(i) if i >= ndesc => return Err(bad("descriptor", i)),
                Op::Object(i) if i as usize >= fs.shapes.len() => return Err(bad("shape", i)),
                Op::IsType(i) | Op::Member(i) => s_ok(i, "name")?,
                Op::Action(i) if i as usize >= fs.stmts.len() => return Err(bad("statement", i)),
                Op::Publish { alias, var } => {
                    s_ok(alias, "alias")?;
                    if var >= ndesc {
                        return Err(bad("descriptor", var));
                    }
                }
                Op::Jump(t)
                | Op::JumpIfFalse(t)
                | Op::JumpIfFalseKeep(t)
                | Op::JumpIfTrueKeep(t) => in_code(t)?,
                Op::SetSlot(s) | Op::GetSlot(s) if s >= nslots => return Err(bad("slot", s)),
                Op::IterNext {
                    item,
                    index,
                    clear,
                    exit,
                } => {
                    if item >= nslots || (index != NONE && index >= nslots) {
                        return Err(bad("loop slot", item));
                    }
                    if clear as usize >= fs.clears.len() {
                        return Err(bad("clear list", clear));
                    }
                    in_code(exit)?
                }
                _ => {}
            }
        }
    }
    Ok(())
}
