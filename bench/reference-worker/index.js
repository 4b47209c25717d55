// The reference: the same signing proxy written the way one would without tim-tags, in plain
// JavaScript with the official npm signer under nodejs_compat. For `make bench` only.
import TLSSigAPIv2 from 'tls-sig-api-v2';

const PATH = '/v4/all_member_push/im_get_tag';

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method !== 'POST' || url.pathname !== PATH) return new Response('not found', { status: 404 });
    if (request.headers.get('Authorization') !== `Bearer ${env.PANEL_TOKENS}`) {
      return Response.json({ ActionStatus: 'FAIL', ErrorCode: 80401, ErrorInfo: 'unauthorized' }, { status: 401 });
    }
    const body = await request.json();
    if (!Array.isArray(body.To_Account) || body.To_Account.length < 1 || body.To_Account.length > 100) {
      return Response.json({ ActionStatus: 'FAIL', ErrorCode: 90001, ErrorInfo: 'bad body' }, { status: 400 });
    }
    const api = new TLSSigAPIv2.Api(Number(env.TIM_SDKAPPID), env.TIM_SECRET_KEY);
    const usersig = api.genUserSig(env.TIM_ADMIN ?? 'administrator', 86400);
    const random = crypto.getRandomValues(new Uint32Array(1))[0];
    const query = new URLSearchParams({
      usersig, identifier: env.TIM_ADMIN ?? 'administrator', sdkappid: env.TIM_SDKAPPID, random, contenttype: 'json',
    });
    const answer = await fetch(`${env.TIM_API_ORIGIN}${PATH}?${query}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ To_Account: body.To_Account }),
    });
    return new Response(answer.body, { headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } });
  },
};
