// The camera: frames from getUserMedia read by scan_frame, or the system camera of the
// barcode-scanner plugin on phones.
import { t } from "../../i18n.js";
import { h, toBase64 } from "../../lib/dom.js";
import { app, systemScanner } from "../../lib/shell.js";
import { onLeave } from "../../lib/state.js";
import { errorText } from "../../lib/words.js";
import { renderRun, setScan } from "./model.js";

const camera = { stream: null, timer: null };

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
    camera.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch {
    return setScan({ status: t("scan.noCamera"), error: true });
  }
  const video = h("video", { id: "camera", autoplay: true, playsinline: true, muted: true });
  video.srcObject = camera.stream;
  setScan({ status: t("scan.cameraOn"), error: false });
  document.getElementById("camera-slot")?.replaceChildren(video);
  const canvas = document.createElement("canvas");
  let busy = false;
  camera.timer = setInterval(async () => {
    if (busy || !video.videoWidth) return;
    busy = true;
    const scale = Math.min(1, 640 / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const frame = context.getImageData(0, 0, canvas.width, canvas.height);
    try {
      const outcome = await app.scanFrame(frame.width, frame.height, toBase64(frame.data.buffer));
      stopCamera();
      onOutcome(outcome);
    } catch (error) {
      if (error?.code !== "NO_CODE_FOUND") {
        stopCamera();
        setScan({ status: errorText(error), error: true });
      }
    } finally {
      busy = false;
    }
  }, 600);
}

// Leaving the screen turns the camera off.
onLeave(stopCamera);
