// Contender: Go's net/http client (standard library, HTTP/2 over TLS with the push certificate)
// sends N MDM pushes to -url, -streams requests in flight on one connection. A client nobody
// here wrote, in a compiled language, as the bar certpush's wire is measured against.
//
// Prints one JSON line as bench/lib/contender.ts reads it: count, elapsedMs, and the process's
// own CPU (user + system) and peak RSS from getrusage.
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	url := flag.String("url", "", "https://host:port")
	n := flag.Int("n", 100000, "notifications")
	streams := flag.Int("streams", 1000, "requests in flight")
	certFile := flag.String("cert", "", "push certificate (PEM, with its chain)")
	keyFile := flag.String("key", "", "its key (PEM)")
	caFile := flag.String("ca", "", "the server's CA (PEM)")
	token := flag.String("token", "", "device token (one for all: the server serves one path)")
	topic := flag.String("topic", "", "apns-topic")
	flag.Parse()

	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	caPem, err := os.ReadFile(*caFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPem)
	transport := &http.Transport{
		TLSClientConfig:   &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: roots},
		ForceAttemptHTTP2: true,
		// One connection, as the other contenders use: its streams carry the concurrency.
		MaxConnsPerHost: 1,
	}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	payload := []byte(`{"mdm":"bench-push-magic"}`)
	target := *url + "/3/device/" + *token

	var next, accepted, failed int64
	var firstError atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < *streams; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for atomic.AddInt64(&next, 1) <= int64(*n) {
				req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(payload))
				req.Header.Set("apns-topic", *topic)
				req.Header.Set("apns-push-type", "mdm")
				res, err := client.Do(req)
				if err != nil {
					atomic.AddInt64(&failed, 1)
					firstError.CompareAndSwap(nil, err.Error())
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode == 200 && res.ProtoMajor == 2 {
					atomic.AddInt64(&accepted, 1)
				} else {
					atomic.AddInt64(&failed, 1)
					firstError.CompareAndSwap(nil, fmt.Sprintf("%s %d", res.Proto, res.StatusCode))
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	var usage syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &usage)
	cpu := time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
	extra := map[string]interface{}{"failed": failed}
	if e, ok := firstError.Load().(string); ok {
		if len(e) > 60 {
			e = e[:60]
		}
		extra["error"] = e
	}
	out, _ := json.Marshal(map[string]interface{}{
		"count":       accepted,
		"elapsedMs":   float64(elapsed.Microseconds()) / 1000,
		"cpuUs":       float64(cpu.Microseconds()),
		"maxRssBytes": usage.Maxrss * 1024,
		"extra":       extra,
	})
	fmt.Println(string(out))
}
