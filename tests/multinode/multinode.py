"""Three Glint nodes on one PostgreSQL database and one S3 server (a bucket
for images, one for staging), sharing no folder.

Driven concurrently with openstacksdk and python-glanceclient: images created, uploaded and
downloaded through different nodes; concurrent property and tag updates to
one image from all nodes; then every image's state and bytes are checked,
and the nodes' logs must show no 5xx. Then a node restarts while another
node's upload is under way, which must not disturb it; and a node is
killed (SIGKILL) mid-upload and stays down: the other nodes must queue its
image again after the heartbeat timeout, and it takes a new upload.
"""

import concurrent.futures as cf
import hashlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import glanceclient
import openstack

BIN = os.environ["GLINT_BIN"]
DB = os.environ["GLINT_MULTINODE_DB"]
S3 = os.environ["GLINT_TEST_S3_ENDPOINT"]
BUCKET = "glint-multinode-%s" % uuid.uuid4().hex[:12]
WORK = tempfile.mkdtemp(prefix="glint-multinode-")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Short, so that an abandoned upload is seen within the test.
HEARTBEAT_TIMEOUT = 4
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, n):
        self.n = n
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.conf = os.path.join(WORK, "node%d.conf" % n)
        self.log = os.path.join(WORK, "node%d.log" % n)
        with open(self.conf, "w") as f:
            f.write(f"""[DEFAULT]
bind_host = 127.0.0.1
bind_port = {self.port}
data_dir = {WORK}/data{n}
enabled_backends = objects:s3
[database]
connection = {DB}
[task]
task_heartbeat_timeout = {HEARTBEAT_TIMEOUT}
[os_glance_staging_store]
filesystem_store_datadir = {WORK}/work{n}
s3_store_host = {S3}
s3_store_access_key = {os.environ["GLINT_TEST_S3_ACCESS_KEY"]}
s3_store_secret_key = {os.environ["GLINT_TEST_S3_SECRET_KEY"]}
s3_store_bucket = {BUCKET}-staging
s3_store_create_bucket_on_put = true
s3_store_large_object_size = 5
s3_store_large_object_chunk_size = 5
[glance_store]
default_backend = objects
[objects]
s3_store_host = {S3}
s3_store_access_key = {os.environ["GLINT_TEST_S3_ACCESS_KEY"]}
s3_store_secret_key = {os.environ["GLINT_TEST_S3_SECRET_KEY"]}
s3_store_bucket = {BUCKET}
s3_store_create_bucket_on_put = true
s3_store_large_object_size = 5
s3_store_large_object_chunk_size = 5
s3_store_thread_pools = 2
""")
        self.proc = None

    def start(self):
        logf = open(self.log, "a")
        self.proc = subprocess.Popen([BIN, "serve", "--config-file", self.conf],
                                     stdout=logf, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        sys.exit("node %d did not start; see %s" % (self.n, self.log))

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)

    def sdk(self):
        return openstack.connection.Connection(
            auth_type="admin_token", auth={"endpoint": self.url, "token": "x"},
            image_endpoint_override=self.url, image_api_version="2")

    def server_errors(self):
        with open(self.log) as f:
            text = ANSI.sub("", f.read())
        return re.findall(r"status=5\d\d", text) + re.findall(r"panicked", text)


def data_of(i):
    size = (i % 4) * 3 * 1024 * 1024 + 1000 * i + 1  # up to ~10 MiB: multipart too
    return hashlib.shake_256(b"img%d" % i).digest(size)


def main():
    # Schema first, so that three nodes do not race to migrate.
    subprocess.run([BIN, "db", "sync", "--config-file", Node(9).conf], check=True,
                   stdout=subprocess.DEVNULL)
    nodes = [Node(i) for i in range(3)]
    for node in nodes:
        node.start()
    try:
        run(nodes)
    finally:
        for node in nodes:
            node.stop()
    errors = [e for node in nodes for e in node.server_errors()]
    check(not errors, "no 5xx or panic in the nodes' logs (%s)" % errors[:5])
    if failures:
        print("multinode: %d passed, %d failed" % (CHECKS[0] - len(failures), len(failures)))
        sys.exit(1)
    print("multinode: %d passed, 0 failed" % CHECKS[0])


CHECKS = [0]


def counted(cond, what):
    CHECKS[0] += 1
    check(cond, what)


def run(nodes):
    started = time.time()
    count = 12

    # 1. Images created, uploaded and read back through different nodes.
    def create_upload(i):
        conn = nodes[i % 3].sdk()
        image = conn.image.create_image(name="mn-%d" % i, disk_format="raw",
                                        container_format="bare")
        conn.image.put(f"/images/{image.id}/file", data=data_of(i),
                           headers={"Content-Type": "application/octet-stream"})
        return image.id

    with cf.ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(create_upload, range(count)))

    def read_back(pair):
        i, image_id = pair
        conn = nodes[(i + 1) % 3].sdk()
        image = conn.image.get_image(image_id)
        body = conn.image.get(f"/images/{image_id}/file").content
        return i, image, body

    with cf.ThreadPoolExecutor(8) as pool:
        for i, image, body in pool.map(read_back, enumerate(ids)):
            counted(image.status == "active", "image %d is active (%s)" % (i, image.status))
            counted(image.size == len(data_of(i)), "image %d has its size" % i)
            counted(hashlib.sha256(body).digest() == hashlib.sha256(data_of(i)).digest(),
                    "image %d reads back its bytes through another node" % i)
    print("uploads through 3 nodes: %.1fs" % (time.time() - started), flush=True)

    # 2. Concurrent property updates and tag adds to one image, all nodes.
    target = ids[0]

    def set_property(k):
        conn = nodes[k % 3].sdk()
        patch = [{"op": "add", "path": "/prop_%d" % k, "value": "v%d" % k}]
        for attempt in range(20):
            r = conn.image.patch(f"/images/{target}", json=patch, raise_exc=False, headers={
                "Content-Type": "application/openstack-images-v2.1-json-patch"})
            if r.status_code == 200:
                return k, "ok"
            if r.status_code != 409:
                return k, "status %d" % r.status_code
            time.sleep(0.05 * (attempt + 1))
        return k, "conflict"

    def add_tag(k):
        node = nodes[k % 3]
        if k % 2:
            glance = glanceclient.Client("2", endpoint=node.url, token="x")
            glance.image_tags.update(target, "tag-%d" % k)
        else:
            node.sdk().image.add_tag(target, "tag-%d" % k)
        return k

    with cf.ThreadPoolExecutor(12) as pool:
        props = list(pool.map(set_property, range(30)))
        tags = list(pool.map(add_tag, range(30)))
    image = nodes[2].sdk().image.get_image(target)
    stored = image.properties or {}
    for k, outcome in props:
        if outcome == "ok":
            counted(stored.get("prop_%d" % k) == "v%d" % k,
                    "property prop_%d written through node %d survived" % (k, k % 3))
    counted(all(o in ("ok", "conflict") for _, o in props),
            "property writes succeed or conflict (%s)" % props)
    counted(sum(1 for _, o in props if o == "ok") >= 25, "most property writes landed")
    counted(set(image.tags) >= {"tag-%d" % k for k in tags}, "every tag added survived")

    # 3. Staged through one node, imported through another: the nodes share
    #    no folder, staged data waits in the staging bucket; the import
    #    lands in the images bucket.
    staged_data = data_of(42)
    a, b = nodes[1], nodes[2]
    conn = a.sdk()
    image = conn.image.create_image(name="staged", disk_format="raw", container_format="bare")
    conn.image.put(f"/images/{image.id}/stage", data=staged_data,
                   headers={"Content-Type": "application/octet-stream"})
    counted(conn.image.get_image(image.id).status == "uploading", "staged through one node")
    staged_objects = s3_objects(BUCKET + "-staging")
    if staged_objects is not None:
        counted(staged_objects == [image.id], "the staged bytes wait in the staging bucket")
    counted(not any(os.listdir(os.path.join(WORK, d)) for d in os.listdir(WORK)
                    if d.startswith("work")), "nothing staged in a node's own folder")
    b.sdk().image.post(f"/images/{image.id}/import",
                       json={"method": {"name": "glance-direct"}})
    deadline = time.time() + 20
    while b.sdk().image.get_image(image.id).status != "active" and time.time() < deadline:
        time.sleep(0.2)
    counted(b.sdk().image.get_image(image.id).status == "active",
            "imported through another node")
    body = nodes[0].sdk().image.get(f"/images/{image.id}/file").content
    counted(body == staged_data, "the imported bytes read back through a third node")
    if staged_objects is not None:
        counted(s3_objects(BUCKET + "-staging") == [], "the staged copy is removed once imported")

    # 4. A node restarts while another node's upload is under way (slowly,
    #    past the heartbeat timeout): the restart must leave it alone.
    uploader, restarted = nodes[1], nodes[2]
    conn = uploader.sdk()
    image = conn.image.create_image(name="slow", disk_format="raw", container_format="bare")
    c = start_chunked_upload(uploader, image.id)
    slow = b""
    for _ in range(3):
        slow += send_chunk(c, b"s" * (1024 * 1024))
    restarted.stop()
    restarted.start()
    for _ in range(2 * HEARTBEAT_TIMEOUT):
        time.sleep(0.5)
        slow += send_chunk(c, b"s" * (256 * 1024))
    counted(restarted.sdk().image.get_image(image.id).status == "saving",
            "a live upload on one node survives another node's restart and sweeps")
    c.send(b"0\r\n\r\n")
    response = c.getresponse()
    counted(response.status == 204, "the slow upload finishes (%d)" % response.status)
    c.close()
    body = restarted.sdk().image.get(f"/images/{image.id}/file").content
    counted(body == slow, "the slow upload's bytes read back through the restarted node")

    # 5. A node killed mid-upload that stays down: the other nodes see its
    #    upload go silent and queue the image again; a new upload through
    #    another node takes.
    parts_before = s3_upload_leftovers()
    victim, other = nodes[0], nodes[1]
    conn = other.sdk()
    image = conn.image.create_image(name="killed", disk_format="raw", container_format="bare")
    c = start_chunked_upload(victim, image.id)
    for _ in range(12):  # past two 5 MiB parts: a multipart upload is under way
        send_chunk(c, b"x" * (1024 * 1024))
    deadline = time.time() + 10
    while conn.image.get_image(image.id).status != "saving" and time.time() < deadline:
        time.sleep(0.1)
    counted(conn.image.get_image(image.id).status == "saving", "upload under way on the victim")
    time.sleep(0.5)
    victim.stop(signal.SIGKILL)
    c.close()
    killed_at = time.time()
    deadline = killed_at + 4 * HEARTBEAT_TIMEOUT
    while conn.image.get_image(image.id).status != "queued" and time.time() < deadline:
        time.sleep(0.2)
    counted(conn.image.get_image(image.id).status == "queued",
            "the dead node's upload is queued again by the others")
    print("dead node's upload queued again after %.1fs (heartbeat timeout %ds)"
          % (time.time() - killed_at, HEARTBEAT_TIMEOUT), flush=True)
    data = data_of(99)
    nodes[2].sdk().image.put(f"/images/{image.id}/file", data=data,
                             headers={"Content-Type": "application/octet-stream"})
    body = other.sdk().image.get(f"/images/{image.id}/file").content
    counted(body == data, "a new upload of the dead node's image through another node reads back")
    victim.start()
    counted(victim.sdk().image.get_image(image.id).status == "active",
            "the dead node comes back to the image active")
    leftovers = s3_upload_leftovers()
    if leftovers is not None:
        leftovers -= parts_before
        print("multipart parts left by the killed upload on the server: %d "
              "(s3s-fs cannot list multipart uploads, so they cannot be aborted)"
              % leftovers, flush=True)
    print("multinode run: %.1fs" % (time.time() - started), flush=True)


def start_chunked_upload(node, image_id):
    c = http.client.HTTPConnection("127.0.0.1", node.port, timeout=30)
    c.putrequest("PUT", f"/v2/images/{image_id}/file")
    c.putheader("Content-Type", "application/octet-stream")
    c.putheader("Transfer-Encoding", "chunked")
    c.endheaders()
    return c


def send_chunk(c, chunk):
    c.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    return chunk


def s3_objects(bucket):
    """The objects in `bucket`, read from s3s-fs's folder (None elsewhere)."""
    d = os.environ.get("GLINT_TEST_S3_DATA_DIR")
    if not d:
        return None
    folder = os.path.join(d, bucket)
    return sorted(n for n in os.listdir(folder) if not n.startswith("."))


def s3_upload_leftovers():
    d = os.environ.get("GLINT_TEST_S3_DATA_DIR")
    if not d:
        return None
    return sum(1 for n in os.listdir(d) if n.startswith(".upload_id-"))


if __name__ == "__main__":
    main()
