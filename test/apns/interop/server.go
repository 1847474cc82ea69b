// An APNs-shaped HTTP/2 server on Go's net/http (standard library only), for the interop tests:
// TLS 1.2/1.3 with the client certificate required and verified, 200 with apns-id for
// POST /3/device/<token>, bent by -mode:
//
//	ok        every request 200
//	reset     token % 4 == 1: the handler panics with http.ErrAbortHandler (RST_STREAM INTERNAL_ERROR)
//	shutdown  after 100 answers a second server starts on the same port (SO_REUSEPORT) and the
//	          first one Shutdown()s mid-burst: GOAWAY, in-flight requests finished, then closed
//
// Prints {"port": N} when listening on 127.0.0.1; on SIGTERM prints its counters as one JSON
// line and exits. Go 1.19's standard library cannot set SETTINGS_MAX_CONCURRENT_STREAMS (that
// came with http.Server.HTTP2 in Go 1.24): the server advertises Go's default, 250.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type counters struct {
	sync.Mutex
	Handshakes int            `json:"handshakes"`
	Requests   int            `json:"requests"`
	Answered   int            `json:"answered"`
	Duplicates int            `json:"duplicates"`
	Resets     int            `json:"resets"`
	Shutdowns  int            `json:"shutdowns"`
	seen       map[string]int // 200s per token
}

var stats = counters{seen: map[string]int{}}

// SO_REUSEPORT on Linux: the syscall package does not name it (golang.org/x/sys does).
const soReusePort = 0xf

func reusePort(network, address string, c syscall.RawConn) error {
	var setErr error
	err := c.Control(func(fd uintptr) {
		setErr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1)
	})
	if err != nil {
		return err
	}
	return setErr
}

func main() {
	mode := flag.String("mode", "ok", "ok | reset | shutdown")
	certFile := flag.String("cert", "", "server certificate (PEM)")
	keyFile := flag.String("key", "", "server key (PEM)")
	clientCa := flag.String("clientca", "", "CA certificates for client certificates (PEM)")
	flag.Parse()

	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	caPem, err := os.ReadFile(*clientCa)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPem)
	tlsConfig := &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		NextProtos:   []string{"h2"},
		// Called for every ClientHello: counts handshakes attempted, refused ones included.
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			stats.Lock()
			stats.Handshakes++
			stats.Unlock()
			return nil, nil
		},
	}

	listen := net.ListenConfig{Control: reusePort}
	first, err := listen.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	address := first.Addr().String()

	var servers []*http.Server
	var serversMu sync.Mutex
	var shutdownOnce sync.Once
	start := func(ln net.Listener, handler http.Handler) {
		server := &http.Server{Handler: handler, TLSConfig: tlsConfig.Clone(), ErrorLog: nil}
		serversMu.Lock()
		servers = append(servers, server)
		serversMu.Unlock()
		go server.ServeTLS(ln, "", "")
	}

	var handler http.HandlerFunc
	handler = func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		stats.Lock()
		stats.Requests++
		stats.Unlock()
		if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/3/device/") {
			w.Header().Set("content-type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"reason":"BadPath"}`))
			return
		}
		token := strings.TrimPrefix(r.URL.Path, "/3/device/")
		tail := token
		if len(tail) > 8 {
			tail = tail[len(tail)-8:]
		}
		number, _ := strconv.ParseUint(tail, 16, 64)
		if *mode == "reset" && number%4 == 1 {
			stats.Lock()
			stats.Resets++
			stats.Unlock()
			panic(http.ErrAbortHandler)
		}
		w.Header().Set("apns-id", r.Header.Get("apns-id"))
		w.WriteHeader(http.StatusOK)
		stats.Lock()
		stats.Answered++
		if stats.seen[token] > 0 {
			stats.Duplicates++
		}
		stats.seen[token]++
		answered := stats.Answered
		stats.Unlock()
		if *mode == "shutdown" && answered == 100 {
			shutdownOnce.Do(func() {
				go func() {
					second, err := listen.Listen(context.Background(), "tcp", address)
					if err != nil {
						fmt.Fprintln(os.Stderr, "second listener:", err)
						return
					}
					start(second, handler)
					serversMu.Lock()
					old := servers[0]
					serversMu.Unlock()
					stats.Lock()
					stats.Shutdowns++
					stats.Unlock()
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					_ = old.Shutdown(ctx)
				}()
			})
		}
	}
	start(first, handler)

	port := first.Addr().(*net.TCPAddr).Port
	fmt.Printf("{\"port\": %d}\n", port)

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM)
	<-signals
	stats.Lock()
	out, _ := json.Marshal(&stats)
	stats.Unlock()
	fmt.Println(string(out))
}
