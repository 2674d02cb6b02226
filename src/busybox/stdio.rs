//! A C library's buffering of standard output into a file, which decides what a program
//! left running (`tcpdump > FILE &`) has written by the time another command reads the
//! file: glibc's (`_IO_file_xsputn`: a buffer of the file's block size, 4096 bytes, written
//! whenever it is full) and musl's (`__fwritex`, `__stdout_write`: stdout starts line
//! buffered and learns at its first write that it is not a terminal; then a write that does
//! not fit in its 1024 bytes goes out together with what the buffer holds). `-l` makes a
//! program line buffered (`setvbuf`). vnet writes line by line where musl writes each
//! `printf` of a line, so a musl buffer empties at the end of a line, not inside it.

use serde::{Deserialize, Serialize};

/// musl's `BUFSIZ`, its stdout buffer.
const MUSL_BUFFER: usize = 1024;
/// glibc's buffer for a file: `st_blksize` of the container's file system.
const GLIBC_BUFFER: usize = 4096;

/// What a program's standard output holds before it reaches a file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stdout {
    /// Line buffered (`-l`, `setlinebuf`): every line goes out as it is written.
    line: bool,
    /// musl's (else glibc's).
    musl: bool,
    /// musl: the first line went out.
    started: bool,
    /// What it holds.
    held: String,
}

impl Stdout {
    /// The standard output of a program of an image with musl (else glibc), line buffered
    /// or not.
    pub fn new(line: bool, musl: bool) -> Stdout {
        Stdout {
            line,
            musl,
            started: false,
            held: String::new(),
        }
    }

    /// The program writes `text` (a line, or the start of one): what reaches the file now.
    pub fn write(&mut self, text: &str) -> String {
        if self.line {
            return self.take_with(text);
        }
        if self.musl {
            if !self.started && text.contains('\n') {
                self.started = true;
                return self.take_with(text);
            }
            if text.len() > MUSL_BUFFER.saturating_sub(self.held.len()) {
                return self.take_with(text);
            }
            self.held.push_str(text);
            return String::new();
        }
        self.held.push_str(text);
        let whole = self.held.len() / GLIBC_BUFFER * GLIBC_BUFFER;
        // Whole blocks of bytes: the cut may fall inside a character, which a file keeps
        // as bytes; vnet's files are text, so the cut moves back to a character's start.
        let mut cut = whole;
        while !self.held.is_char_boundary(cut) {
            cut -= 1;
        }
        self.held.drain(..cut).collect()
    }

    /// The program exits (or calls `fflush`): all it holds.
    pub fn flush(&mut self) -> String {
        std::mem::take(&mut self.held)
    }

    fn take_with(&mut self, text: &str) -> String {
        let mut out = std::mem::take(&mut self.held);
        out.push_str(text);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn musl_writes_its_first_line_then_fills_its_buffer() {
        let mut o = Stdout::new(false, true);
        assert_eq!(o.write("first\n"), "first\n");
        let line = format!("{}\n", "x".repeat(99));
        let mut out = String::new();
        for _ in 0..10 {
            out.push_str(&o.write(&line));
        }
        assert_eq!(out, "", "1000 bytes fit in 1024");
        assert_eq!(
            o.write(&line).len(),
            1100,
            "the line that does not fit goes with them"
        );
        assert_eq!(o.flush(), "");
    }

    #[test]
    fn glibc_writes_whole_blocks() {
        let mut o = Stdout::new(false, false);
        let line = format!("{}\n", "y".repeat(999));
        assert_eq!(o.write(&line), "");
        assert_eq!(o.write(&line), "");
        assert_eq!(o.write(&line), "");
        assert_eq!(o.write(&line), "");
        assert_eq!(o.write(&line).len(), 4096);
        assert_eq!(o.flush().len(), 5000 - 4096);
    }

    #[test]
    fn line_buffered_writes_each_line() {
        let mut o = Stdout::new(true, true);
        assert_eq!(o.write("a\n"), "a\n");
        assert_eq!(o.write("b\n"), "b\n");
    }
}
