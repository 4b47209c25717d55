// The least a plain-JavaScript Worker can do for this endpoint, the counterpart of the bare Rust
// Worker (src/bench_floor.rs): each body goes to the vendor as it came, with a UserSig signed once
// per isolate by the npm signer, and the answer streams back; no checks, logs, timeout or retries.
// Beside the bare Rust Worker in `make bench`, it shows what the Rust toolchain's glue
// (workers-rs, wasm-bindgen and its futures) costs per call. For `make bench` only.
import TLSSigAPIv2 from 'tls-sig-api-v2';

const PATHS = new Set([
  '/v4/all_member_push/im_get_tag', '/v4/all_member_push/im_add_tag', '/v4/all_member_push/im_remove_tag',
  '/v4/all_member_push/im_remove_all_tags', '/v4/timpush/get_tag', '/v4/timpush/add_tag', '/v4/timpush/remove_tag',
  '/v4/timpush/clear_all_tags',
]);
let signedQuery = null;

export default {
  fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (!PATHS.has(path)) return new Response('not one of the eight calls', { status: 404 });
    if (!signedQuery) {
      const admin = env.TIM_ADMIN ?? 'administrator';
      const usersig = new TLSSigAPIv2.Api(Number(env.TIM_SDKAPPID), env.TIM_SECRET_KEY).genUserSig(admin, 86400);
      signedQuery = new URLSearchParams({ usersig, identifier: admin, sdkappid: env.TIM_SDKAPPID, contenttype: 'json' });
    }
    const random = crypto.getRandomValues(new Uint32Array(1))[0];
    return fetch(`${env.TIM_API_ORIGIN}${path}?${signedQuery}&random=${random}`, { method: 'POST', body: request.body });
  },
};
