//! Implicit TLS (`smtps://`) over a socket we configured ourselves.
//!
//! lettre's own `connect_tokio1` opens the TCP connection itself and leaves Nagle's
//! algorithm on, which costs a delayed-ACK round (~40 ms) per email (measured).
//! `connect_with_transport` takes our socket, but only as a plain stream that must already
//! speak SMTP. So we run lettre's TLS handshake on our socket
//! (through its `AsyncNetworkStream`, so `smtps://` and STARTTLS share one TLS set-up and
//! one set of trust anchors) and hand the result back to lettre as a tokio stream.
#![allow(deprecated)] // AsyncNetworkStream is public but deprecated; it is the only door to lettre's TLS.

use std::{
    io,
    net::SocketAddr,
    pin::Pin,
    task::{Context, Poll},
};

use futures::io::{AsyncRead as FuturesRead, AsyncWrite as FuturesWrite};
use lettre::transport::smtp::{
    Error,
    client::{AsyncNetworkStream, AsyncTokioStream, TlsParameters},
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
};

/// A TLS session on our own TCP socket, readable and writable as a tokio stream.
#[derive(Debug)]
pub(super) struct ImplicitTls(AsyncNetworkStream);

impl ImplicitTls {
    pub(super) async fn handshake(tcp: TcpStream, tls: TlsParameters) -> Result<Self, Error> {
        let mut stream = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
        stream.upgrade_tls(tls).await?;
        Ok(ImplicitTls(stream))
    }
}

impl AsyncTokioStream for ImplicitTls {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }
}

impl AsyncRead for ImplicitTls {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let unfilled = buf.initialize_unfilled();
        match Pin::new(&mut self.get_mut().0).poll_read(cx, unfilled) {
            Poll::Ready(Ok(n)) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for ImplicitTls {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_close(cx)
    }
}
