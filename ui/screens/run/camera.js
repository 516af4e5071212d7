// The camera: frames from getUserMedia (rear camera first), read by the browser's own
// BarcodeDetector where it has one, else by the wallet's decoder (scan_frame in the app; in a
// browser a small JPEG through scan_image, a few a second); or the system camera of the
// barcode-scanner plugin on phones. Leaving the screen stops the camera.
import { t } from "../../i18n.js";
import { h, toBase64 } from "../../lib/dom.js";
import { app, inApp, systemScanner } from "../../lib/shell.js";
import { onLeave } from "../../lib/state.js";
import { errorText } from "../../lib/words.js";
import { renderRun, setScan } from "./model.js";

const camera = { stream: null, timer: null, torch: false };

/** The browser's barcode reader for QR codes and Code 128, when it has one. */
async function barcodeDetector() {
  if (inApp || !("BarcodeDetector" in globalThis)) return null;
  try {
    const supported = await globalThis.BarcodeDetector.getSupportedFormats();
    const formats = ["qr_code", "code_128"].filter((f) => supported.includes(f));
    return formats.length ? new globalThis.BarcodeDetector({ formats }) : null;
  } catch {
    return null;
  }
}

/** Reads one frame: the browser's detector, or the wallet's decoder; null when no code is in it. */
async function readFrame(video, canvas, detector) {
  if (detector) {
    const found = await detector.detect(video).catch(() => []);
    return found.length ? app.scanText(found[0].rawValue) : null;
  }
  const scale = Math.min(1, 640 / video.videoWidth);
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(video, 0, 0, canvas.width, canvas.height);
  try {
    if (inApp) {
      const frame = context.getImageData(0, 0, canvas.width, canvas.height);
      return await app.scanFrame(frame.width, frame.height, toBase64(frame.data.buffer));
    }
    // Over the network a JPEG is a few dozen kilobytes where raw pixels are megabytes.
    const jpeg = canvas.toDataURL("image/jpeg", 0.85).split(",")[1];
    return await app.scanImage(jpeg);
  } catch (error) {
    if (error?.code === "NO_CODE_FOUND") return null;
    throw error;
  }
}

/** A torch button when the camera offers one (phones' rear cameras). */
function torchButton(track) {
  const capabilities = track.getCapabilities?.() ?? {};
  if (!capabilities.torch) return null;
  return h("button", {
    type: "button",
    class: "button small secondary",
    id: "camera-torch",
    text: t("scan.torch"),
    onclick: async () => {
      camera.torch = !camera.torch;
      await track.applyConstraints({ advanced: [{ torch: camera.torch }] }).catch(() => {});
    },
  });
}

/** Whether the camera is on. */
export function cameraOn() {
  return Boolean(camera.stream);
}

function stopCamera() {
  if (camera.timer) clearInterval(camera.timer);
  camera.timer = null;
  camera.stream?.getTracks().forEach((track) => track.stop());
  camera.stream = null;
  document.getElementById("camera")?.remove();
}

/** On phones: the system camera through Tauri's barcode-scanner plugin, when it is there. */
async function scanWithPlugin(onOutcome) {
  const scanner = systemScanner();
  if (!scanner) return false;
  try {
    const result = await scanner.scan({ windowed: false, formats: [scanner.Format.QRCode, scanner.Format.Code128] });
    if (result?.content) onOutcome(await app.scanText(result.content));
  } catch (error) {
    setScan({ status: errorText(error), error: true });
  }
  return true;
}

/** Starts the camera (or the system one) and hands the first code it reads to `onOutcome`; stops it when on. */
export async function toggleCamera(onOutcome) {
  if (camera.stream) {
    stopCamera();
    return renderRun();
  }
  if (await scanWithPlugin(onOutcome)) return;
  if (!navigator.mediaDevices?.getUserMedia) return setScan({ status: t("scan.noCamera"), error: true });
  try {
    camera.stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
    });
  } catch {
    return setScan({ status: t("scan.noCamera"), error: true });
  }
  const video = h("video", { id: "camera", autoplay: true, playsinline: true, muted: true });
  video.srcObject = camera.stream;
  setScan({ status: t("scan.cameraOn"), error: false });
  const track = camera.stream.getVideoTracks()[0];
  document.getElementById("camera-slot")?.replaceChildren(video, ...[track && torchButton(track)].filter(Boolean));
  const canvas = document.createElement("canvas");
  const detector = await barcodeDetector();
  let busy = false;
  camera.timer = setInterval(async () => {
    if (busy || !video.videoWidth) return;
    busy = true;
    try {
      const outcome = await readFrame(video, canvas, detector);
      if (outcome) {
        stopCamera();
        onOutcome(outcome);
      }
    } catch (error) {
      stopCamera();
      setScan({ status: errorText(error), error: true });
    } finally {
      busy = false;
    }
  }, inApp ? 600 : 400);
}

// Leaving the screen turns the camera off.
onLeave(stopCamera);
