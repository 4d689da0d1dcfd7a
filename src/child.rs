//! Running another program (a credential helper, a kubeconfig exec plugin) within one deadline.
//!
//! The deadline covers the whole call, from spawn to exit with every pipe read to its end: our
//! input is written on a thread of its own (a child that never reads it cannot block us), the
//! output is read on threads of their own and capped. On Unix the child runs in a process group
//! of its own, so a timeout kills whatever it started too, not only the child itself. The child
//! is reaped only after its pipes are drained, so its process id (and so its group's) cannot be
//! reused by another program while we may still kill that group.

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// How one call runs.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// Written to the child's stdin, which is then closed. `None`: stdin as the command says.
    pub input: Option<&'a [u8]>,
    /// Read stderr (else as the command says: an interactive plugin talks to the user on it).
    pub capture_stderr: bool,
    /// Run the child in a process group of its own (Unix), killed as a whole on timeout. Off
    /// for a child that must read the terminal: a background group reading it is stopped.
    pub own_group: bool,
    /// The deadline of the whole call.
    pub timeout: Duration,
    /// The most bytes read from stdout (and from stderr); more is [`Failure::TooMuchOutput`].
    pub max_output: usize,
}

/// What a child that ended within its deadline left.
pub struct Output {
    pub status: ExitStatus,
    /// Wiped when dropped: it may be a credential.
    pub stdout: Zeroizing<Vec<u8>>,
    /// Empty unless [`Call::capture_stderr`].
    pub stderr: Zeroizing<Vec<u8>>,
}

/// Why a call gave no [`Output`]. A child that did not end in time, or printed too much, was
/// killed (with its process group).
#[derive(Debug)]
pub enum Failure {
    Spawn(std::io::Error),
    Timeout,
    TooMuchOutput,
}

/// A pipe read to its end, or past the cap.
enum Piped {
    Done(Zeroizing<Vec<u8>>),
    Overflow,
}

/// Run `cmd` as `call` says. stdout is always piped; stdin and stderr as `call` says.
pub fn run(cmd: &mut Command, call: Call<'_>) -> Result<Output, Failure> {
    let deadline = Instant::now() + call.timeout;
    cmd.stdout(Stdio::piped());
    if call.input.is_some() {
        cmd.stdin(Stdio::piped());
    }
    if call.capture_stderr {
        cmd.stderr(Stdio::piped());
    }
    #[cfg(unix)]
    if call.own_group {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd.spawn().map_err(Failure::Spawn)?;
    let stdout = read_pipe(child.stdout.take(), call.max_output);
    let stderr = read_pipe(child.stderr.take(), call.max_output);
    if let (Some(mut stdin), Some(input)) = (child.stdin.take(), call.input) {
        let input = Zeroizing::new(input.to_vec());
        // Never joined: a child that does not read its input leaves this thread blocked until
        // the child (or whoever holds its stdin) is gone, not us.
        std::thread::spawn(move || {
            // A child may exit without reading its input: a broken pipe is its answer.
            let _ = stdin.write_all(&input);
        });
    }
    let mut out = None;
    let mut err = if call.capture_stderr {
        None
    } else {
        Some(Zeroizing::new(Vec::new()))
    };
    let mut pause = Duration::from_micros(500);
    // First the pipes to their end, then the exit: the child stays unreaped until both.
    let status = loop {
        for (slot, rx) in [(&mut out, &stdout), (&mut err, &stderr)] {
            if slot.is_none() {
                match rx.try_recv() {
                    Ok(Piped::Done(bytes)) => *slot = Some(bytes),
                    Ok(Piped::Overflow) => {
                        kill(&mut child, call.own_group);
                        return Err(Failure::TooMuchOutput);
                    }
                    Err(mpsc::TryRecvError::Empty) => {}
                    Err(mpsc::TryRecvError::Disconnected) => *slot = Some(Zeroizing::default()),
                }
            }
        }
        if out.is_some() && err.is_some() {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => {}
                Err(_) => {
                    kill(&mut child, call.own_group);
                    return Err(Failure::Timeout);
                }
            }
        }
        let now = Instant::now();
        if now >= deadline {
            kill(&mut child, call.own_group);
            return Err(Failure::Timeout);
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(20));
    };
    Ok(Output {
        status,
        stdout: out.unwrap_or_default(),
        stderr: err.unwrap_or_default(),
    })
}

/// Read a child's pipe to its end, at most `max` bytes, on a thread of its own. Past `max` the
/// pipe is closed (a child still writing gets a broken pipe) and [`Piped::Overflow`] sent.
fn read_pipe(pipe: Option<impl Read + Send + 'static>, max: usize) -> mpsc::Receiver<Piped> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Zeroizing::new(Vec::with_capacity(4096));
        if let Some(pipe) = pipe {
            let _ = pipe.take(max as u64 + 1).read_to_end(&mut buf);
        }
        let _ = tx.send(if buf.len() > max {
            Piped::Overflow
        } else {
            Piped::Done(buf)
        });
    });
    rx
}

/// Kill the child, with its whole process group when it has one, and reap it. Called only
/// while the child is unreaped, so its id still names it and its group.
fn kill(child: &mut Child, own_group: bool) {
    #[cfg(unix)]
    if own_group && let Ok(pgid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with a negative id signals that process group; no memory involved.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
    }
    #[cfg(not(unix))]
    let _ = own_group;
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", script]);
        cmd
    }

    fn call(input: Option<&[u8]>, secs: u64) -> Call<'_> {
        Call {
            input,
            capture_stderr: true,
            own_group: true,
            timeout: Duration::from_secs(secs),
            max_output: 1 << 20,
        }
    }

    #[test]
    fn input_output_and_status() {
        let out = run(
            &mut sh("cat; echo err >&2; exit 3"),
            call(Some(b"hello"), 30),
        )
        .unwrap();
        assert_eq!(&out.stdout[..], b"hello");
        assert_eq!(&out.stderr[..], b"err\n");
        assert_eq!(out.status.code(), Some(3));
    }

    #[test]
    fn a_child_that_never_reads_a_large_input_is_stopped_at_the_deadline() {
        let input = vec![b'a'; 1 << 20];
        let started = Instant::now();
        let r = run(&mut sh("exec sleep 300"), call(Some(&input), 1));
        assert!(matches!(r, Err(Failure::Timeout)));
        assert!(started.elapsed() < Duration::from_secs(60));
    }

    #[test]
    fn too_much_output_is_refused() {
        let mut c = call(None, 30);
        c.max_output = 1000;
        let r = run(&mut sh("exec yes"), c);
        assert!(matches!(r, Err(Failure::TooMuchOutput)));
        let out = run(&mut sh("printf %1000s x"), c).unwrap();
        assert_eq!(out.stdout.len(), 1000);
    }
}
