//! Byte-level encoding: LEB128 varints, zigzag integers, and `Op` ↔ bytes. Decoding never panics:
//! every read is bounds-checked and returns a typed error.

use super::op::{BinCode, Op};

/// Appends primitives to a byte buffer.
#[derive(Default)]
pub(crate) struct Writer {
    pub(crate) buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub(crate) fn u64(&mut self, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.buf.push(b);
                return;
            }
            self.buf.push(b | 0x80);
        }
    }

    pub(crate) fn u32(&mut self, v: u32) {
        // NONE (u32::MAX) is common; varint keeps it at 5 bytes, small indices at 1.
        self.u64(v as u64)
    }

    pub(crate) fn i64(&mut self, v: i64) {
        self.u64(((v << 1) ^ (v >> 63)) as u64)
    }

    pub(crate) fn f64(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_bits().to_le_bytes());
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.buf.extend_from_slice(b);
    }

    pub(crate) fn op(&mut self, op: &Op) {
        match *op {
            Op::Const(i) => self.tag1(0, i),
            Op::Load(i) => self.tag1(1, i),
            Op::Exists(i) => self.tag1(2, i),
            Op::List(n) => self.tag1(3, n),
            Op::Object(i) => self.tag1(4, i),
            Op::Interp(n) => self.tag1(5, n),
            Op::Bin(b) => {
                self.u8(6);
                self.u8(b as u8)
            }
            Op::Neg => self.u8(7),
            Op::Not => self.u8(8),
            Op::IsEmpty => self.u8(9),
            Op::IsNull => self.u8(10),
            Op::IsType(i) => self.tag1(11, i),
            Op::Member(i) => self.tag1(12, i),
            Op::Index => self.u8(13),
            Op::Pop => self.u8(14),
            Op::Action(i) => self.tag1(15, i),
            Op::Publish { alias, var } => {
                self.tag1(16, alias);
                self.u32(var)
            }
            Op::Jump(t) => self.tag1(17, t),
            Op::JumpIfFalse(t) => self.tag1(18, t),
            Op::JumpIfFalseKeep(t) => self.tag1(19, t),
            Op::JumpIfTrueKeep(t) => self.tag1(20, t),
            Op::SetSlot(s) => self.tag1(21, s),
            Op::GetSlot(s) => self.tag1(22, s),
            Op::IterStart => self.u8(23),
            Op::IterNext {
                item,
                index,
                clear,
                exit,
            } => {
                self.tag1(24, item);
                self.u32(index);
                self.u32(clear);
                self.u32(exit)
            }
            Op::End => self.u8(25),
            Op::Range => self.u8(26),
            Op::IterPop => self.u8(27),
        }
    }

    fn tag1(&mut self, tag: u8, a: u32) {
        self.u8(tag);
        self.u32(a);
    }
}

/// Why bytes could not be decoded.
#[derive(Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ended in the middle of an item.
    Truncated(&'static str),
    /// A varint was longer than its type allows.
    Overlong(&'static str),
    /// An unknown opcode byte.
    BadOpcode(u8),
    /// Other malformed content.
    Malformed(String),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Truncated(what) => write!(f, "file is truncated (while reading {what})"),
            DecodeError::Overlong(what) => write!(f, "malformed number (while reading {what})"),
            DecodeError::BadOpcode(b) => write!(f, "unknown opcode 0x{b:02x}"),
            DecodeError::Malformed(m) => write!(f, "{m}"),
        }
    }
}

/// Bounds-checked reader over a byte slice.
pub(crate) struct Reader<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) pos: usize,
}

/// Result of a decoding step.
pub(crate) type DResult<T> = Result<T, DecodeError>;

impl<'a> Reader<'a> {
    pub(crate) fn u8(&mut self, what: &'static str) -> DResult<u8> {
        let b = *self.buf.get(self.pos).ok_or(DecodeError::Truncated(what))?;
        self.pos += 1;
        Ok(b)
    }

    pub(crate) fn u64(&mut self, what: &'static str) -> DResult<u64> {
        let mut v: u64 = 0;
        for shift in (0..70).step_by(7) {
            let b = self.u8(what)?;
            if shift == 63 && b > 1 {
                return Err(DecodeError::Overlong(what));
            }
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(DecodeError::Overlong(what))
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> DResult<u32> {
        u32::try_from(self.u64(what)?).map_err(|_| DecodeError::Overlong(what))
    }

    /// A count of items that each take at least one byte: bounded by the bytes left.
    pub(crate) fn count(&mut self, what: &'static str) -> DResult<usize> {
        let n = self.u64(what)? as usize;
        if n > self.buf.len() - self.pos {
            return Err(DecodeError::Truncated(what));
        }
        Ok(n)
    }

    pub(crate) fn i64(&mut self, what: &'static str) -> DResult<i64> {
        let v = self.u64(what)?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    pub(crate) fn f64(&mut self, what: &'static str) -> DResult<f64> {
        let b = self
            .buf
            .get(self.pos..self.pos + 8)
            .ok_or(DecodeError::Truncated(what))?;
        self.pos += 8;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_bits(u64::from_le_bytes(a)))
    }

    pub(crate) fn bytes(&mut self, what: &'static str) -> DResult<&'a [u8]> {
        let n = self.count(what)?;
        let b = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(b)
    }

    pub(crate) fn op(&mut self) -> DResult<Op> {
        let w = "instruction";
        let tag = self.u8(w)?;
        Ok(match tag {
            0 => Op::Const(self.u32(w)?),
            1 => Op::Load(self.u32(w)?),
            2 => Op::Exists(self.u32(w)?),
            3 => Op::List(self.u32(w)?),
            4 => Op::Object(self.u32(w)?),
            5 => Op::Interp(self.u32(w)?),
            6 => {
                let b = self.u8(w)?;
                Op::Bin(
                    *BinCode::ALL
                        .get(b as usize)
                        .ok_or(DecodeError::BadOpcode(b))?,
                )
            }
            7 => Op::Neg,
            8 => Op::Not,
            9 => Op::IsEmpty,
            10 => Op::IsNull,
            11 => Op::IsType(self.u32(w)?),
            12 => Op::Member(self.u32(w)?),
            13 => Op::Index,
            14 => Op::Pop,
            15 => Op::Action(self.u32(w)?),
            16 => Op::Publish {
                alias: self.u32(w)?,
                var: self.u32(w)?,
            },
            17 => Op::Jump(self.u32(w)?),
            18 => Op::JumpIfFalse(self.u32(w)?),
            19 => Op::JumpIfFalseKeep(self.u32(w)?),
            20 => Op::JumpIfTrueKeep(self.u32(w)?),
            21 => Op::SetSlot(self.u32(w)?),
            22 => Op::GetSlot(self.u32(w)?),
            23 => Op::IterStart,
            24 => Op::IterNext {
                item: self.u32(w)?,
                index: self.u32(w)?,
                clear: self.u32(w)?,
                exit: self.u32(w)?,
            },
            25 => Op::End,
            26 => Op::Range,
            27 => Op::IterPop,
            b => return Err(DecodeError::BadOpcode(b)),
        })
    }
}
