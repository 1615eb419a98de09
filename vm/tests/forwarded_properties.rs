//! Properties of the client address behind proxies (`net::http::forwarded`): whatever the
//! forwarding headers say, an untrusted peer is the client, and a trusted peer's answer is the
//! peer or an address that some hop wrote.

use arovm::net::http::forwarded::{client_address, parse_list};
use arovm::net::http::request::Request;
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr};

fn request(headers: Vec<(String, String)>) -> Request {
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    Request::new("GET", "/", 1, &pairs)
}

proptest! {
    #[test]
    fn an_untrusted_peer_is_always_the_client(
        name in prop::sample::select(vec!["X-Forwarded-For", "Forwarded", "x-forwarded-for"]),
        value in ".{0,80}",
        last in any::<u8>(),
    ) {
        let trusted = parse_list("10.0.0.0/8").unwrap();
        let peer = IpAddr::V4(Ipv4Addr::new(192, 0, 2, last));
        let r = request(vec![(name.to_string(), value)]);
        prop_assert_eq!(client_address(&r, peer, &trusted), peer);
    }

    #[test]
    fn a_trusted_peer_names_one_of_the_hops(hops in prop::collection::vec(any::<[u8; 4]>(), 0..6)) {
        let trusted = parse_list("127.0.0.1").unwrap();
        let peer = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let ips: Vec<IpAddr> = hops.iter().map(|o| IpAddr::V4(Ipv4Addr::from(*o))).collect();
        let list = ips.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
        let r = request(vec![("X-Forwarded-For".into(), list)]);
        let client = client_address(&r, peer, &trusted);
        prop_assert!(client == peer || ips.contains(&client));
        // The rightmost hop that is not the trusted proxy itself is the client.
        if let Some(expected) = ips.iter().rev().find(|i| **i != peer) {
            prop_assert_eq!(client, *expected);
        }
    }
}
