// Entry of kmtalk-viewer.min.js (built by build.sh): the parts of three.js that player.js uses,
// exposed as window.KMTALK_VIEWER so that a classic <script> can load them from a file:// page
// (Chromium refuses module scripts there). Add a name here when player.js needs one more.
import {
  DirectionalLight, HemisphereLight, MathUtils, PerspectiveCamera, Quaternion, Scene, Vector3, WebGLRenderer,
} from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';

window.KMTALK_VIEWER = {
  THREE: { DirectionalLight, HemisphereLight, MathUtils, PerspectiveCamera, Quaternion, Scene, Vector3, WebGLRenderer },
  GLTFLoader,
  OrbitControls,
};
