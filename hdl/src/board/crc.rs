//! CRC-32/ISO-HDLC (zlib's, Ethernet's) one byte per clock cycle: the
//! reflected polynomial 0xEDB88320 applied to the eight bits of a byte,
//! least significant first, as one layer of XORs.
//!
//! The byte step is linear over GF(2): each bit of the new CRC is the XOR of
//! some bits of the old CRC and of the byte. The XOR terms are computed here
//! from the bit-serial definition (the response to each single input bit)
//! and written out as Verilog, so there is no table to get wrong by hand.

use rust_hdl::prelude::*;

/// The reflected CRC-32 polynomial.
const POLY: u32 = 0xEDB8_8320;

/// The register after one byte: the bit-serial definition.
pub(crate) fn step(crc: u32, byte: u8) -> u32 {
    let mut c = crc ^ u32::from(byte);
    for _ in 0..8 {
        c = (c >> 1) ^ if c & 1 == 1 { POLY } else { 0 };
    }
    c
}

/// For each bit of the new CRC, the bits of the old CRC (`crc_in[i]`, i <
/// 32) and of the byte (`data[i - 32]`) that it is the XOR of.
fn terms() -> Vec<Vec<usize>> {
    let response = |input: usize| -> u32 {
        if input < 32 {
            step(1 << input, 0)
        } else {
            step(0, 1 << (input - 32))
        }
    };
    (0..32)
        .map(|out| (0..40).filter(|&i| response(i) >> out & 1 == 1).collect())
        .collect()
}

/// One CRC-32 byte step (combinational).
#[derive(LogicBlock, Debug, Default)]
pub(crate) struct Crc32Step {
    /// The register before the byte.
    pub crc_in: Signal<In, Bits<32>>,
    /// The byte.
    pub data: Signal<In, Bits<8>>,
    /// The register after it.
    pub crc_out: Signal<Out, Bits<32>>,
}

impl Logic for Crc32Step {
    fn update(&mut self) {
        let crc = u32::try_from(self.crc_in.val().index()).expect("32 bits");
        let byte = u8::try_from(self.data.val().index()).expect("8 bits");
        self.crc_out.next = u64::from(step(crc, byte)).to_bits();
    }

    fn connect(&mut self) {
        self.crc_out.connect();
    }

    fn hdl(&self) -> Verilog {
        let mut body = String::from("always @(*) begin\n");
        for (out, inputs) in terms().iter().enumerate() {
            let xors: Vec<String> = inputs
                .iter()
                .map(|&i| {
                    if i < 32 {
                        format!("crc_in[{i}]")
                    } else {
                        format!("data[{}]", i - 32)
                    }
                })
                .collect();
            body.push_str(&format!("   crc_out[{out}] = {};\n", xors.join(" ^ ")));
        }
        body.push_str("end\n");
        Verilog::Custom(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The check value of CRC-32/ISO-HDLC: "123456789" -> 0xCBF43926.
    #[test]
    fn the_byte_step_gives_the_standard_check_value() {
        let crc = b"123456789".iter().fold(u32::MAX, |c, &b| step(c, b)) ^ u32::MAX;
        assert_eq!(crc, 0xCBF4_3926);
    }

    /// The XOR terms reproduce the bit-serial step on every single input bit
    /// and on random words (linearity).
    #[test]
    fn the_xor_terms_are_the_step() {
        let t = terms();
        let eval = |crc: u32, byte: u8| -> u32 {
            let bit = |i: usize| {
                if i < 32 {
                    crc >> i & 1
                } else {
                    u32::from(byte) >> (i - 32) & 1
                }
            };
            (0..32).fold(0, |acc, out| {
                acc | t[out].iter().fold(0, |x, &i| x ^ bit(i)) << out
            })
        };
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..10_000 {
            let (crc, byte) = (rng.u32(..), rng.u8(..));
            assert_eq!(eval(crc, byte), step(crc, byte));
        }
    }
}
