//! Where a request goes and how its target is written: the origin
//! (resolved host and port), the parts of a URL, the `Host` value, and
//! Python's URL quoting.

use std::net::{SocketAddr, ToSocketAddrs};

/// Where requests go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Origin {
    /// Host name or address, without brackets.
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) addr: SocketAddr,
}

/// Resolves `host:port`, IPv4 first.
pub(super) fn lookup(host: &str, port: u16) -> Result<Origin, String> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host:?}: {e}"))?
        .collect();
    let addr = addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("{host:?} resolves to no address"))?;
    Ok(Origin {
        host: host.to_string(),
        port,
        addr,
    })
}

/// The `Host` value: IPv6 addresses in brackets; the port left out only
/// for 80 when `port_optional`.
pub(super) fn host_value(origin: &Origin, port_optional: bool) -> String {
    let host = if origin.host.contains(':') {
        format!("[{}]", origin.host)
    } else {
        origin.host.clone()
    };
    if port_optional && origin.port == 80 {
        host
    } else {
        format!("{host}:{}", origin.port)
    }
}

/// A URL or request target split into its parts (the fragment dropped).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Target<'a> {
    pub(super) scheme: Option<&'a str>,
    pub(super) authority: Option<&'a str>,
    pub(super) path: &'a str,
    pub(super) query: Option<&'a str>,
}

pub(super) fn split_target(s: &str) -> Target<'_> {
    let s = s.split('#').next().unwrap_or("");
    let mut t = Target::default();
    let mut rest = s;
    if let Some(i) = s.find(':')
        && i > 0
        && s.as_bytes()[0].is_ascii_alphabetic()
        && s[..i]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        t.scheme = Some(&s[..i]);
        rest = &s[i + 1..];
    }
    if let Some(r) = rest.strip_prefix("//") {
        let end = r.find(['/', '?']).unwrap_or(r.len());
        t.authority = Some(&r[..end]);
        rest = &r[end..];
    }
    match rest.find('?') {
        Some(i) => {
            t.path = &rest[..i];
            t.query = Some(&rest[i + 1..]);
        }
        None => t.path = rest,
    }
    t
}

/// Splits `host[:port]` (userinfo dropped; IPv6 in brackets, or bare
/// with no port).
pub(super) fn parse_authority(a: &str) -> Result<(String, Option<u16>), String> {
    let a = a.rsplit('@').next().unwrap_or(a);
    let (host, port) = if let Some(rest) = a.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or_else(|| format!("unclosed '[' in {a:?}"))?;
        let after = &rest[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(format!("junk after ']' in {a:?}")),
        };
        (&rest[..end], port)
    } else if a.matches(':').count() > 1 {
        // A bare IPv6 address: it has no port (HIO splits it at the last
        // colon).
        (a, None)
    } else {
        match a.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (a, None),
        }
    };
    if host.is_empty() {
        return Err(format!("no host in {a:?}"));
    }
    let port = match port {
        None | Some("") => None,
        Some(p) => Some(p.parse::<u16>().map_err(|_| format!("bad port {p:?}"))?),
    };
    Ok((host.to_string(), port))
}

/// Whether `b` may appear unescaped in a path.
fn path_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b)
}

fn push_escaped(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(HEX[usize::from(b >> 4)] as char);
    out.push(HEX[usize::from(b & 15)] as char);
}

/// Percent-quotes a path, keeping `/`, the characters a path may hold,
/// and escapes already made.
pub(super) fn quote_path(p: &str) -> String {
    let bytes = p.as_bytes();
    let mut out = String::with_capacity(p.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if path_safe(b) {
            out.push(b as char);
        } else if b == b'%'
            && bytes.len() > i + 2
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            out.push_str(&p[i..i + 3]);
            i += 2;
        } else {
            push_escaped(&mut out, b);
        }
        i += 1;
    }
    out
}

/// Python's `quote_plus`: spaces become `+`, everything but letters,
/// digits and `-._~` is escaped.
pub(super) fn quote_plus(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else if b == b' ' {
            out.push('+');
        } else {
            push_escaped(&mut out, b);
        }
    }
    out
}

/// Python's `unquote_plus` (bad escapes are kept as they are).
pub(super) fn unquote_plus(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| {
                    std::str::from_utf8(h)
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                });
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Removes `.` and `..` segments (RFC 3986 §5.2.4).
pub(super) fn remove_dots(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    if joined.starts_with('/') {
        joined
    } else {
        format!("/{joined}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_forms() {
        assert_eq!(parse_authority("h:80"), Ok(("h".into(), Some(80))));
        assert_eq!(parse_authority("[::1]:5"), Ok(("::1".into(), Some(5))));
        assert_eq!(parse_authority("[::1]"), Ok(("::1".into(), None)));
        // HIO reads this as host ":" and port 1.
        assert_eq!(parse_authority("::1"), Ok(("::1".into(), None)));
        assert_eq!(parse_authority("u:p@h"), Ok(("h".into(), None)));
        assert!(parse_authority("h:99999").is_err());
        assert!(parse_authority("[::1").is_err());
        assert!(parse_authority(":80").is_err());
    }

    #[test]
    fn targets_split() {
        let t = split_target("http://h:1/a/b?x=1#f");
        assert_eq!(
            t,
            Target {
                scheme: Some("http"),
                authority: Some("h:1"),
                path: "/a/b",
                query: Some("x=1")
            }
        );
        let t = split_target("/a?b#c");
        assert_eq!((t.scheme, t.path, t.query), (None, "/a", Some("b")));
        let t = split_target("//h/x");
        assert_eq!((t.authority, t.path), (Some("h"), "/x"));
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_path("/a b/c%2Fd"), "/a%20b/c%2Fd");
        assert_eq!(quote_path("/50%"), "/50%25");
        assert_eq!(quote_plus("1 2&=/"), "1+2%26%3D%2F");
        assert_eq!(unquote_plus("a+b%20c%zz%4"), "a b c%zz%4");
    }

    #[test]
    fn dot_segments() {
        assert_eq!(remove_dots("/a/b/../c/./d"), "/a/c/d");
        assert_eq!(remove_dots("/../.."), "/");
        assert_eq!(remove_dots("/a/."), "/a/");
    }
}
