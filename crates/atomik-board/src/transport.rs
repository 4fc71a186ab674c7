//! The byte pipe under the link: a serial port (a USB-UART adapter, or the
//! co-simulation's pseudo-terminal), or anything else that moves bytes.

use std::io::{self, Read, Write};
use std::time::Duration;

use crate::error::{Error, Result};

/// Bytes to and from a board.
pub trait Transport {
    /// Writes every byte of `bytes`.
    fn send(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Reads the bytes that have arrived into `buf`, waiting up to `timeout`
    /// for the first one. `Ok(0)`: none came.
    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize>;
    /// Throws away bytes received and not yet read.
    fn discard_input(&mut self) -> io::Result<()>;
}

/// A serial port: 8 data bits, no parity, 1 stop bit, no flow control.
#[derive(Debug)]
pub struct Serial {
    port: Box<dyn serialport::SerialPort>,
}

impl Serial {
    /// Opens `path` (`/dev/ttyUSB0`, `/dev/pts/3`, `COM3`) at `baud`.
    pub fn open(path: &str, baud: u32) -> Result<Serial> {
        let port = serialport::new(path, baud)
            .data_bits(serialport::DataBits::Eight)
            .parity(serialport::Parity::None)
            .stop_bits(serialport::StopBits::One)
            .flow_control(serialport::FlowControl::None)
            .timeout(Duration::from_millis(10))
            .open()
            .map_err(|source| Error::Open {
                path: path.to_string(),
                source,
            })?;
        Ok(Serial { port })
    }
}

impl Transport for Serial {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.port.write_all(bytes)?;
        self.port.flush()
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        self.port
            .set_timeout(timeout.max(Duration::from_millis(1)))?;
        match self.port.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Ok(0),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(0),
            Err(e) => Err(e),
        }
    }

    fn discard_input(&mut self) -> io::Result<()> {
        self.port
            .clear(serialport::ClearBuffer::Input)
            .map_err(io::Error::from)
    }
}
