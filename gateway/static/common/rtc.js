// One RTCPeerConnection to the window service through the gateway's signaling relay:
// our media out, the other party's media in, a data channel for summary/confirm messages.
// No STUN/TURN unless the gateway's /api/v1/config names some.

export async function getMedia(withAudio = true) {
  return navigator.mediaDevices.getUserMedia({
    video: { width: { ideal: 640 }, height: { ideal: 480 } },
    audio: withAudio,
  });
}

function gathered(pc, timeoutMs = 5000) {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    const done = () => { pc.removeEventListener("icegatheringstatechange", check); resolve(); };
    const check = () => { if (pc.iceGatheringState === "complete") done(); };
    pc.addEventListener("icegatheringstatechange", check);
    setTimeout(done, timeoutMs);
  });
}

// signal(sdpOffer) must return the service's answer SDP.
export async function joinWindow({ stream, iceServers = [], signal, onTrack, onMessage, onState }) {
  const pc = new RTCPeerConnection({ iceServers });
  stream.getTracks().forEach((track) => pc.addTrack(track, stream));
  const channel = pc.createDataChannel("window");
  channel.onmessage = (event) => {
    try { onMessage && onMessage(JSON.parse(event.data)); } catch (failure) { console.error(failure); }
  };
  pc.ontrack = (event) => onTrack && onTrack(event);
  pc.onconnectionstatechange = () => onState && onState(pc.connectionState);
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const answer = await signal(pc.localDescription.sdp);
  await pc.setRemoteDescription({ type: "answer", sdp: answer });
  return {
    pc,
    channel,
    send(message) {
      if (channel.readyState === "open") { channel.send(JSON.stringify(message)); return true; }
      return false;
    },
    close() { try { channel.close(); } catch (e) { /* closing anyway */ } pc.close(); },
  };
}

// A still from a video element as a JPEG blob (the document camera, 高拍仪).
export function snapshot(video, quality = 0.9) {
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth || 640;
  canvas.height = video.videoHeight || 480;
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
}

// Remote media: the first video track goes to the element, audio plays along.
export function attachRemote(video) {
  const remote = new MediaStream();
  video.srcObject = remote;
  return (event) => {
    remote.addTrack(event.track);
    video.play().catch(() => {});
  };
}
