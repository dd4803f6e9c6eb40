/** The PNG encoder, re-exported for test images (it lives in main/image/png.ts). */
export { encodePng } from '../../main/image/png.ts';
