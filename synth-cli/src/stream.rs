//! Standard output and error that remember whether a write failed.
//!
//! Commands print with `let _ = writeln!(…)`: a failed write must not abort a command
//! half-way (a deploy still has to say what it did), but it must not be lost either.
//! [`CheckedWriter`] keeps the first error of its stream, and [`exit_code`] turns it
//! into the process's answer once the command is done: a closed pipe after the
//! consumer has read what it wanted (`dpc graph | head`) ends quietly, any other
//! failure (a full disk, `dpc graph > /dev/full`) is an error with exit code 1.

use std::io::{self, ErrorKind, Write};

/// A writer that passes everything through and keeps the first error it met; after
/// that error it writes nothing more, so a broken pipe costs no further system calls.
pub struct CheckedWriter<W: Write> {
    inner: W,
    failed: Option<io::Error>,
}

impl<W: Write> CheckedWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        CheckedWriter {
            inner,
            failed: None,
        }
    }

    /// Flushes what is buffered and gives back the first error of the stream, if any.
    pub fn finish(mut self) -> Option<io::Error> {
        if self.failed.is_none()
            && let Err(err) = self.inner.flush()
        {
            self.failed = Some(err);
        }
        self.failed
    }

    fn record<T>(&mut self, result: io::Result<T>) -> io::Result<T> {
        if let Err(err) = &result
            && err.kind() != ErrorKind::Interrupted
            && self.failed.is_none()
        {
            self.failed = Some(io::Error::new(err.kind(), err.to_string()));
        }
        result
    }
}

impl<W: Write> Write for CheckedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(err) = &self.failed {
            return Err(io::Error::new(err.kind(), err.to_string()));
        }
        let result = self.inner.write(buf);
        self.record(result)
    }

    fn flush(&mut self) -> io::Result<()> {
        if let Some(err) = &self.failed {
            return Err(io::Error::new(err.kind(), err.to_string()));
        }
        let result = self.inner.flush();
        self.record(result)
    }
}

/// The exit code of a run whose command answered `code`, given the first write error
/// of its standard output and of its standard error; `report` is where a failure of
/// standard output is said (standard error, when it still works).
pub fn exit_code(
    code: i32,
    stdout: Option<io::Error>,
    stderr: Option<io::Error>,
    report: &mut dyn Write,
) -> i32 {
    match (stdout, stderr) {
        (None, None) => code,
        // The reader closed the pipe: it has what it wanted (`| head`), nobody is
        // left to tell, and shells treat this as an ordinary end.
        (Some(out), None) if out.kind() == ErrorKind::BrokenPipe => code,
        (Some(out), None) => {
            let _ = writeln!(report, "error: cannot write to standard output: {out}");
            let _ = report.flush();
            crate::EXIT_INPUT.max(code)
        }
        (out, Some(err)) => {
            if err.kind() == ErrorKind::BrokenPipe
                && out
                    .as_ref()
                    .is_none_or(|e| e.kind() == ErrorKind::BrokenPipe)
            {
                code
            } else {
                // Standard error itself failed: there is nowhere to say so, the exit
                // code is all that is left.
                crate::EXIT_INPUT.max(code)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that accepts `room` bytes and then fails with `kind`.
    struct Full {
        room: usize,
        kind: ErrorKind,
    }

    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::Error::from(self.kind));
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_first_error_is_kept_and_later_writes_fail_at_once() {
        let mut out = CheckedWriter::new(Full {
            room: 3,
            kind: ErrorKind::StorageFull,
        });
        assert!(write!(out, "abcdef").is_err());
        assert!(write!(out, "x").is_err());
        assert_eq!(out.finish().unwrap().kind(), ErrorKind::StorageFull);
    }

    #[test]
    fn a_full_disk_is_an_error_and_a_closed_pipe_is_not() {
        let mut said = Vec::new();
        let full = io::Error::from(ErrorKind::StorageFull);
        assert_eq!(exit_code(0, Some(full), None, &mut said), 1);
        assert!(
            String::from_utf8_lossy(&said).starts_with("error: cannot write to standard output")
        );

        let mut said = Vec::new();
        let pipe = io::Error::from(ErrorKind::BrokenPipe);
        assert_eq!(exit_code(0, Some(pipe), None, &mut said), 0);
        assert!(said.is_empty());
        // The command's own failure is kept.
        let pipe = io::Error::from(ErrorKind::BrokenPipe);
        assert_eq!(exit_code(1, Some(pipe), None, &mut said), 1);
        let full = io::Error::from(ErrorKind::StorageFull);
        assert_eq!(exit_code(2, None, Some(full), &mut said), 2);
        let full = io::Error::from(ErrorKind::StorageFull);
        assert_eq!(exit_code(0, None, Some(full), &mut said), 1);
    }
}
