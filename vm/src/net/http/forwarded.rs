//! Who the client is behind a reverse proxy: `--trusted-proxy` CIDR ranges, and the client
//! address taken from `Forwarded` (RFC 7239) or `X-Forwarded-For` only when the peer is one of
//! those proxies. The list is walked from the right (the hop nearest to us) past trusted
//! proxies; the first untrusted address is the client. Anything unparsable stops the walk at
//! the last address known to be good, so a client cannot choose its own address.

use super::request::Request;
use std::net::IpAddr;
use std::str::FromStr;

/// An address range: `10.0.0.0/8`, `::1/128`, or a single address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    bits: u8,
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Cidr, String> {
        let text = text.trim();
        let (addr, bits) = match text.split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (text, None),
        };
        let net = IpAddr::from_str(addr).map_err(|_| format!("{text:?} is not an address"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            None => max,
            Some(b) => b
                .parse::<u8>()
                .ok()
                .filter(|&b| b <= max)
                .ok_or_else(|| format!("{text:?}: prefix length must be 0-{max}"))?,
        };
        Ok(Cidr {
            net: canonical(net),
            bits,
        })
    }
}

impl Cidr {
    /// True when `ip` lies in the range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, canonical(ip)) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), self.bits),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), self.bits),
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let full = bits as usize / 8;
    if a[..full] != b[..full] {
        return false;
    }
    let rest = bits % 8;
    rest == 0 || (a[full] ^ b[full]) >> (8 - rest) == 0
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Parses a comma-separated list of ranges (`--trusted-proxy 10.0.0.0/8,::1`).
pub fn parse_list(text: &str) -> Result<Vec<Cidr>, String> {
    text.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(Cidr::from_str)
        .collect()
}

/// True when `peer` is a trusted proxy.
pub fn is_trusted(peer: IpAddr, trusted: &[Cidr]) -> bool {
    trusted.iter().any(|c| c.contains(peer))
}

/// The client's address: `peer` itself unless `peer` is a trusted proxy that says whom it
/// forwards for.
pub fn client_address(req: &Request, peer: IpAddr, trusted: &[Cidr]) -> IpAddr {
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let forwarded: Vec<&str> = req
        .headers()
        .filter(|(k, _)| k.eq_ignore_ascii_case("forwarded"))
        .map(|(_, v)| v)
        .collect();
    let hops: Vec<Option<IpAddr>> = if !forwarded.is_empty() {
        forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .map(forwarded_for)
            .collect()
    } else {
        req.headers()
            .filter(|(k, _)| k.eq_ignore_ascii_case("x-forwarded-for"))
            .flat_map(|(_, v)| v.split(','))
            .map(|h| node_address(h.trim()))
            .collect()
    };
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop {
            Some(ip) => {
                client = canonical(*ip);
                if !is_trusted(client, trusted) {
                    break;
                }
            }
            None => break, // an obfuscated or broken entry: stop at the last good hop
        }
    }
    client
}

/// The `for=` address of one `Forwarded` element.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("for") {
            return None;
        }
        node_address(v.trim().trim_matches('"'))
    })
}

/// An address with an optional port: `1.2.3.4`, `1.2.3.4:80`, `[::1]`, `[::1]:80`, `::1`.
fn node_address(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = IpAddr::from_str(node) {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return IpAddr::from_str(rest.split_once(']')?.0).ok();
    }
    let (host, port) = node.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    IpAddr::from_str(host).ok().filter(IpAddr::is_ipv4)
}

/// True for a request id a trusted proxy may pass on (`X-Request-ID`): 8 to 128 characters of
/// letters, digits and `-_.:+/=`.
pub fn valid_request_id(id: &str) -> bool {
    (8..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:+/=".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)]) -> Request {
        Request::new("GET", "/", 1, headers)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_match_by_prefix() {
        let c: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(c.contains(ip("10.1.200.3")));
        assert!(!c.contains(ip("10.2.0.1")));
        assert!(c.contains(ip("::ffff:10.1.0.9")));
        let one: Cidr = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let v6: Cidr = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        assert!("0.0.0.0/0".parse::<Cidr>().unwrap().contains(ip("8.8.8.8")));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("nonsense".parse::<Cidr>().is_err());
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let trusted = parse_list("127.0.0.1").unwrap();
        let r = req(&[("X-Forwarded-For", "1.2.3.4")]);
        assert_eq!(
            client_address(&r, ip("192.0.2.9"), &trusted),
            ip("192.0.2.9")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client_walking_from_the_right() {
        let trusted = parse_list("127.0.0.1,10.0.0.0/8").unwrap();
        // A client forged the first entry; the proxies appended the real one.
        let r = req(&[("X-Forwarded-For", "6.6.6.6, 203.0.113.7, 10.0.0.2")]);
        assert_eq!(
            client_address(&r, ip("127.0.0.1"), &trusted),
            ip("203.0.113.7")
        );
        let r = req(&[(
            "Forwarded",
            "for=6.6.6.6, for=\"[2001:db8::7]:4711\";proto=https",
        )]);
        assert_eq!(
            client_address(&r, ip("127.0.0.1"), &trusted),
            ip("2001:db8::7")
        );
        // Forwarded wins over X-Forwarded-For; garbage stops the walk at the last good hop.
        let r = req(&[
            ("X-Forwarded-For", "9.9.9.9"),
            ("Forwarded", "for=unknown, for=198.51.100.1:80"),
        ]);
        assert_eq!(
            client_address(&r, ip("127.0.0.1"), &trusted),
            ip("198.51.100.1")
        );
        let r = req(&[("X-Forwarded-For", "not-an-ip")]);
        assert_eq!(
            client_address(&r, ip("127.0.0.1"), &trusted),
            ip("127.0.0.1")
        );
        // Every hop trusted: the leftmost.
        let r = req(&[("X-Forwarded-For", "10.0.0.5, 10.0.0.6")]);
        assert_eq!(
            client_address(&r, ip("127.0.0.1"), &trusted),
            ip("10.0.0.5")
        );
    }

    #[test]
    fn request_ids_from_proxies_are_short_and_plain() {
        assert!(valid_request_id("0f3a9c2d-0001"));
        assert!(!valid_request_id("short"));
        assert!(!valid_request_id("has space in it"));
        assert!(!valid_request_id(&"x".repeat(200)));
    }
}
