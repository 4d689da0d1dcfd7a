//! Who would receive plain `http://` sent to a loopback address. Loopback is not private on a
//! shared machine: while a `kubectl proxy` is down, any user can listen on its port and get the
//! registry passwords. On Linux the kernel says who owns each listening socket (the `uid`
//! column of `/proc/net/tcp` and `/proc/net/tcp6`, for our network namespace); elsewhere
//! nothing tells, so plain http:// needs `--insecure` there.
//!
//! Checked just before the client is built: a listener that changes hands between this check
//! and the request (seconds at most) is not seen.

use std::net::IpAddr;

/// Why plain http:// to `host` (a loopback name or address) port `port` could reach someone
/// else, or `None` when every socket listening there is ours (and there is one).
pub fn not_ours(host: &str, port: u16) -> Option<String> {
    imp::not_ours(host, port)
}

/// A listening TCP socket.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Listener {
    addr: IpAddr,
    port: u16,
    uid: u32,
}

/// The owners of the sockets that could accept a connection to `target`:`port`: bound to that
/// address, or to the wildcard of its family (an IPv6 wildcard also takes IPv4, unless it is
/// v6-only, which `/proc` does not show: counted, to be safe).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn owners(listeners: &[Listener], target: IpAddr, port: u16) -> Vec<u32> {
    listeners
        .iter()
        .filter(|l| l.port == port)
        .filter(|l| match (l.addr, target) {
            (IpAddr::V4(a), IpAddr::V4(t)) => a == t || a.is_unspecified(),
            (IpAddr::V6(a), IpAddr::V6(t)) => a == t || a.is_unspecified(),
            (IpAddr::V6(a), IpAddr::V4(t)) => a == t.to_ipv6_mapped() || a.is_unspecified(),
            (IpAddr::V4(_), IpAddr::V6(_)) => false,
        })
        .map(|l| l.uid)
        .collect()
}

/// The listening sockets of one `/proc/net/tcp{,6}` table (state `0A` is LISTEN). Addresses
/// are the kernel's network-order words printed as host-order hex.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn parse(table: &str) -> Vec<Listener> {
    let word = |hex: &str| u32::from_str_radix(hex, 16).ok().map(u32::to_ne_bytes);
    let address = |hex: &str| -> Option<IpAddr> {
        match hex.len() {
            8 => Some(IpAddr::from(word(hex)?)),
            32 => {
                let mut bytes = [0u8; 16];
                for (i, chunk) in bytes.chunks_mut(4).enumerate() {
                    chunk.copy_from_slice(&word(hex.get(i * 8..i * 8 + 8)?)?);
                }
                Some(IpAddr::from(bytes))
            }
            _ => None,
        }
    };
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.get(3) != Some(&"0A") {
                return None;
            }
            let (addr, port) = fields.get(1)?.split_once(':')?;
            Some(Listener {
                addr: address(addr)?,
                port: u16::from_str_radix(port, 16).ok()?,
                uid: fields.get(7)?.parse().ok()?,
            })
        })
        .collect()
}

#[cfg(target_os = "linux")]
mod imp {
    use super::{Listener, owners, parse};
    use std::net::{IpAddr, ToSocketAddrs};

    pub fn not_ours(host: &str, port: u16) -> Option<String> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        // A name (`localhost`) is resolved as the client will resolve it, every address kept:
        // the client may try each.
        let targets: Vec<IpAddr> = match bare.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => match (bare, port).to_socket_addrs() {
                Ok(addrs) => addrs.map(|a| a.ip()).collect(),
                Err(e) => return Some(format!("{bare} cannot be resolved ({e})")),
            },
        };
        if let Some(ip) = targets.iter().find(|ip| !ip.is_loopback()) {
            return Some(format!("{bare} resolves to {ip}, which is not loopback"));
        }
        let mut listeners: Vec<Listener> = Vec::new();
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            match std::fs::read_to_string(table) {
                Ok(text) => listeners.extend(parse(&text)),
                // No IPv6 in this kernel: nothing listens there.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && table.ends_with('6') => {}
                Err(e) => {
                    return Some(format!(
                        "who listens on {bare} port {port} cannot be checked ({table}: {e})"
                    ));
                }
            }
        }
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        let mut found = false;
        for target in targets {
            let uids = owners(&listeners, target, port);
            found |= !uids.is_empty();
            if let Some(uid) = uids.into_iter().find(|&u| u != me) {
                return Some(format!(
                    "port {port} on {bare} is listened on by uid {uid}, not by you (uid {me}), so that user would get the registry passwords"
                ));
            }
        }
        (!found).then(|| {
            format!(
                "nothing listens on port {port} on {bare} now, so who would get the registry passwords cannot be checked"
            )
        })
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub fn not_ours(_host: &str, _port: u16) -> Option<String> {
        Some(
            "on this system who listens on a loopback port cannot be checked, so whoever does would get the registry passwords"
                .to_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F41 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 112 1 0 100 0 0 10 0
   2: 0100007F:1F41 0100007F:A000 01 00000000:00000000 00:00000000 00000000 65534        0 113 1 0 20 4 30 10 -1
";
    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 65534        0 114 1 0 100 0 0 10 0
   1: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000    33        0 115 1 0 100 0 0 10 0
";

    fn all() -> Vec<Listener> {
        let mut l = parse(TCP);
        l.extend(parse(TCP6));
        l
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn listening_sockets_are_read_with_their_owner() {
        let l = all();
        assert_eq!(
            l.len(),
            4,
            "the established socket is not a listener: {l:?}"
        );
        assert_eq!(
            l[0],
            Listener {
                addr: "127.0.0.1".parse().unwrap(),
                port: 8001,
                uid: 1000
            }
        );
        assert_eq!(l[2].addr, "::1".parse::<IpAddr>().unwrap());
        assert_eq!((l[2].port, l[2].uid), (8080, 65534));
        assert!(parse("header\n garbage line\n").is_empty());
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn every_socket_that_could_take_the_connection_counts() {
        let l = all();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(owners(&l, ip("127.0.0.1"), 8001), [1000]);
        assert_eq!(owners(&l, ip("127.0.0.2"), 8001), Vec::<u32>::new());
        // The IPv4 wildcard takes every IPv4 loopback address.
        assert_eq!(owners(&l, ip("127.3.2.1"), 22), [0]);
        assert_eq!(owners(&l, ip("::1"), 8080), [65534]);
        assert_eq!(owners(&l, ip("127.0.0.1"), 8080), Vec::<u32>::new());
        // The IPv6 wildcard may take IPv4 too.
        assert_eq!(owners(&l, ip("127.0.0.1"), 80), [33]);
        assert_eq!(owners(&l, ip("::1"), 80), [33]);
    }
}
