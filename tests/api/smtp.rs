//! A real SMTP server on loopback for the tests: it speaks enough of RFC 5321 for a client
//! (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), keeps what it receives, and can be told to refuse
//! (4xx), be slow (a delay before it answers the end of a message's data, after it has kept the
//! message — as a relay that accepted a mail but has not said so yet), or be stopped and started
//! again on the same port.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpSocket;
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct Received {
    pub recipients: Vec<String>,
    pub data: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_lowercase());
        self.data
            .lines()
            .take_while(|l| !l.is_empty())
            .find(|l| l.to_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
    }

    /// Whether `word` appears as a word in what a reader sees: the message less its
    /// machine-made random parts (Message-ID, multipart boundaries), which could hold any
    /// letters by chance.
    pub fn shows_word(&self, word: &str) -> bool {
        let random = |l: &str| {
            let l = l.trim_start().to_lowercase();
            l.starts_with("--") || l.starts_with("message-id:") || l.contains("boundary=")
        };
        self.data.lines().filter(|l| !random(l)).any(|line| {
            line.match_indices(word).any(|(at, _)| {
                let before = line[..at].chars().next_back();
                let after = line[at + word.len()..].chars().next();
                !before.is_some_and(char::is_alphanumeric)
                    && !after.is_some_and(char::is_alphanumeric)
            })
        })
    }
}

pub struct SmtpServer {
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Vec<Received>>>,
    pub refuse: Arc<AtomicBool>,
    /// Milliseconds to wait, once a message's data has arrived and been kept, before answering.
    pub delay_ms: Arc<AtomicU64>,
    task: Option<JoinHandle<()>>,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let mut server = SmtpServer {
            addr: "127.0.0.1:0".parse().unwrap(),
            received: Arc::new(Mutex::new(Vec::new())),
            refuse: Arc::new(AtomicBool::new(false)),
            delay_ms: Arc::new(AtomicU64::new(0)),
            task: None,
        };
        server.listen().await;
        server
    }

    async fn listen(&mut self) {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind(self.addr).unwrap();
        let listener = socket.listen(64).unwrap();
        self.addr = listener.local_addr().unwrap();
        let (received, refuse, delay) = (
            self.received.clone(),
            self.refuse.clone(),
            self.delay_ms.clone(),
        );
        self.task = Some(tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (received, refuse, delay) = (received.clone(), refuse.clone(), delay.clone());
                tokio::spawn(async move {
                    let _ = session(stream, received, refuse, delay).await;
                });
            }
        }));
    }

    /// Stops accepting and drops the port: connections are refused until `restart`.
    pub fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }

    pub async fn restart(&mut self) {
        self.stop();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        self.listen().await;
    }

    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn session(
    stream: tokio::net::TcpStream,
    received: Arc<Mutex<Vec<Received>>>,
    refuse: Arc<AtomicBool>,
    delay_ms: Arc<AtomicU64>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 test-smtp ESMTP ready\r\n").await?;
    let mut recipients = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-test-smtp\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if command.starts_with("HELO") {
            b"250 test-smtp\r\n"
        } else if command.starts_with("MAIL FROM") {
            recipients.clear();
            if refuse.load(Ordering::SeqCst) {
                b"451 4.3.0 try again later\r\n"
            } else {
                b"250 OK\r\n"
            }
        } else if command.starts_with("RCPT TO") {
            let addr = line.trim_end()[8..]
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned();
            recipients.push(addr);
            b"250 OK\r\n"
        } else if command == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(
                    line.strip_prefix('.')
                        .filter(|_| line.starts_with(".."))
                        .unwrap_or(&line),
                );
            }
            received.lock().unwrap().push(Received {
                recipients: std::mem::take(&mut recipients),
                data,
            });
            let delay = delay_ms.load(Ordering::SeqCst);
            if delay > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
            }
            b"250 OK queued\r\n"
        } else if command == "RSET" || command == "NOOP" {
            b"250 OK\r\n"
        } else if command == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}
