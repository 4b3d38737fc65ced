"""Seeds the fuzz corpus from real traffic.

usage: capture_seeds.py LISTEN_PORT UPSTREAM_PORT OUT_DIR [TEST_FILE ...]

Relays every connection on LISTEN_PORT to a running noctis-receiver on
UPSTREAM_PORT and records what the client sent. Point DCMTK's storescu and
echoscu at LISTEN_PORT while it runs; stop it with Ctrl-C or SIGTERM. Then it writes:
  OUT_DIR/pdu/<n>          each connection's client byte stream, as captured
  OUT_DIR/command/<n>      each command set in them, reassembled from its PDVs
  OUT_DIR/header_scan/<n>  a selector byte + the first 8 KiB of each TEST_FILE's data set
  OUT_DIR/proxy_header/<n> PROXY v2 headers as an NLB and HAProxy send them
"""

import os
import signal
import socket
import struct
import sys
import threading

import pydicom


def relay(client, upstream_port, record):
    upstream = socket.create_connection(("127.0.0.1", upstream_port))

    def pump(src, dst, keep):
        while True:
            data = src.recv(65536)
            if not data:
                break
            if keep is not None:
                keep.append(data)
            dst.sendall(data)
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    back = threading.Thread(target=pump, args=(upstream, client, None))
    back.start()
    pump(client, upstream, record)
    back.join()
    client.close()
    upstream.close()


def commands(stream):
    """Command sets in a client stream, each reassembled from its PDVs."""
    out, pending, at = [], b"", 0
    while at + 6 <= len(stream):
        pdu_type, length = stream[at], struct.unpack(">I", stream[at + 2 : at + 6])[0]
        body = stream[at + 6 : at + 6 + length]
        at += 6 + length
        if pdu_type != 0x04:
            continue
        item = 0
        while item + 6 <= len(body):
            item_length = struct.unpack(">I", body[item : item + 4])[0]
            control = body[item + 5]
            data = body[item + 6 : item + 4 + item_length]
            item += 4 + item_length
            if control & 1:
                pending += data
                if control & 2:
                    out.append(pending)
                    pending = b""
    return out


def dataset_prefix(path):
    with open(path, "rb") as f:
        pydicom.filereader.read_preamble(f, False)
        meta = pydicom.filereader._read_file_meta_info(f)
        syntax = str(meta.TransferSyntaxUID)
        data = f.read(8192)
    selector = {"1.2.840.10008.1.2": 0, "1.2.840.10008.1.2.2": 2, "1.2.840.10008.1.2.1.99": 3}.get(syntax, 1)
    return bytes([selector | 4]) + data


def proxy_headers():
    signature = b"\r\n\r\n\x00\r\nQUIT\n"
    v4 = struct.pack(">4s4sHH", bytes([203, 0, 113, 9]), bytes([10, 40, 8, 20]), 51515, 11112)
    tlv = b"\xea" + struct.pack(">H", 22) + b"\x01vpce-0123456789abcdef"
    v6 = bytes(16) + bytes(15) + b"\x01" + struct.pack(">HH", 40001, 11112)
    return [
        signature + b"\x21\x11" + struct.pack(">H", len(v4)) + v4,
        signature + b"\x21\x11" + struct.pack(">H", len(v4 + tlv)) + v4 + tlv,
        signature + b"\x21\x21" + struct.pack(">H", len(v6)) + v6,
        signature + b"\x20\x00" + struct.pack(">H", 0),
    ]


def write_all(out_dir, kind, blobs):
    folder = os.path.join(out_dir, kind)
    os.makedirs(folder, exist_ok=True)
    for n, blob in enumerate(blobs):
        with open(os.path.join(folder, f"{n:03}"), "wb") as f:
            f.write(blob)


def main():
    listen_port, upstream_port, out_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    files = sys.argv[4:]
    # Ctrl-C, or SIGTERM when started in the background, ends the capture.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    server = socket.create_server(("127.0.0.1", listen_port))
    streams, threads = [], []
    print(f"relaying 127.0.0.1:{listen_port} -> {upstream_port}; Ctrl-C when done", flush=True)
    try:
        while True:
            client, _ = server.accept()
            record = []
            streams.append(record)
            thread = threading.Thread(target=relay, args=(client, upstream_port, record))
            thread.start()
            threads.append(thread)
    except KeyboardInterrupt:
        pass
    for thread in threads:
        thread.join()
    captured = [b"".join(chunks) for chunks in streams if chunks]
    write_all(out_dir, "pdu", captured)
    write_all(out_dir, "command", [c for stream in captured for c in commands(stream)][:16])
    write_all(out_dir, "header_scan", [dataset_prefix(path) for path in files])
    write_all(out_dir, "proxy_header", proxy_headers())
    print(f"{len(captured)} connections captured into {out_dir}")


if __name__ == "__main__":
    main()
