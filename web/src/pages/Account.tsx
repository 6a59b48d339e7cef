// Register, sign in and notification settings.
import { useEffect, useState } from "preact/hooks";
import { NotificationChannel, type NotificationSettings } from "../../../api/marquee/v1/account_pb.js";
import { account, message } from "../lib/api.js";
import { place } from "../lib/place.js";
import { navigate, query } from "../lib/router.js";
import { session, signInAs } from "../lib/session.js";
import { Alert, Loading, Page } from "../lib/ui.js";

const next = () => {
  const n = query().get("next") ?? "/";
  return n.startsWith("/") && !n.startsWith("//") ? n : "/";
};

export function Login() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [err, setErr] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErr("");
    try {
      const r = await account.login({ email: email.trim(), password });
      signInAs(r);
      navigate(next(), true);
    } catch (e) {
      setErr(message(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Page title="Sign in">
      <form onSubmit={submit} class="stack">
        <label for="email">Email</label>
        <input id="email" type="email" autocomplete="email" required value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
        <label for="password">Password</label>
        <input id="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        {err && <Alert>{err}</Alert>}
        <button class="primary" disabled={busy}>Sign in</button>
      </form>
      <p>New here? <a href={`/register?next=${encodeURIComponent(next())}`}>Create an account</a></p>
    </Page>
  );
}

export function Register() {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [err, setErr] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (password.length < 8) {
      setErr("Choose a password of at least 8 characters.");
      return;
    }
    setBusy(true);
    setErr("");
    try {
      const p = place.value;
      const r = await account.register({ email: email.trim(), password, displayName: name.trim(),
        near: p ? { latitude: p.latitude, longitude: p.longitude } : undefined });
      signInAs(r);
      navigate(next(), true);
    } catch (e) {
      setErr(message(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Page title="Create an account">
      <form onSubmit={submit} class="stack">
        <label for="name">Your name</label>
        <input id="name" autocomplete="name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        <label for="email">Email</label>
        <input id="email" type="email" autocomplete="email" required value={email} onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
        <label for="password">Password</label>
        <input id="password" type="password" autocomplete="new-password" required minLength={8} aria-describedby="pw-hint"
          value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        <p id="pw-hint" class="hint">At least 8 characters.</p>
        {err && <Alert>{err}</Alert>}
        <button class="primary" disabled={busy}>Create account</button>
      </form>
      <p>Have an account? <a href={`/login?next=${encodeURIComponent(next())}`}>Sign in</a></p>
    </Page>
  );
}

const kinds: [string, string][] = [
  ["booking_confirmed", "Booking confirmed"],
  ["booking_cancelled", "Booking cancelled"],
  ["standby_offer", "Standby offer"],
  ["standby_closed", "Standby line closed"],
  ["reminder_24h", "Reminder a day before"],
  ["reminder_3h", "Reminder 3 hours before"],
];
const channels: [NotificationChannel, string][] = [
  [NotificationChannel.EMAIL, "Email"],
  [NotificationChannel.SMS, "SMS"],
  [NotificationChannel.PUSH, "Push"],
];

export function Settings() {
  const [s, setS] = useState<NotificationSettings | null>(null);
  const [err, setErr] = useState("");
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    account.getNotificationSettings({}).then((r) => setS(r.settings ?? null), (e) => setErr(message(e)));
  }, []);
  if (!s) return <Page title="Notification settings">{err ? <Alert>{err}</Alert> : <Loading what="your settings" />}</Page>;
  const has = (kind: string, ch: NotificationChannel) => s.preferences.find((p) => p.kind === kind)?.channels.includes(ch) ?? false;
  const set = (kind: string, ch: NotificationChannel, on: boolean) => {
    const prefs = kinds.map(([k]) => {
      const cur = s.preferences.find((p) => p.kind === k)?.channels ?? [];
      const chs = k !== kind ? cur : on ? [...cur.filter((c) => c !== ch), ch] : cur.filter((c) => c !== ch);
      return { kind: k, channels: chs } as NotificationSettings["preferences"][number];
    });
    setS({ ...s, preferences: prefs });
    setSaved(false);
  };
  const save = async (e: Event) => {
    e.preventDefault();
    setErr("");
    try {
      const r = await account.updateNotificationSettings({ settings: s });
      setS(r.settings ?? s);
      setSaved(true);
    } catch (e) {
      setErr(message(e));
    }
  };
  return (
    <Page title="Notification settings" wide>
      <p>Signed in as {session.value?.email}.</p>
      <form onSubmit={save}>
        <table class="prefs">
          <caption>How we tell you</caption>
          <thead><tr><th scope="col">Message</th>{channels.map(([, n]) => <th scope="col" key={n}>{n}</th>)}</tr></thead>
          <tbody>
            {kinds.map(([k, label]) => (
              <tr key={k}>
                <th scope="row">{label}</th>
                {channels.map(([ch, n]) => (
                  <td key={n}>
                    <input type="checkbox" aria-label={`${label} by ${n}`} checked={has(k, ch)}
                      onChange={(e) => set(k, ch, (e.target as HTMLInputElement).checked)} />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        <label for="phone">Phone for SMS</label>
        <input id="phone" type="tel" autocomplete="tel" placeholder="+15551234567" aria-describedby="phone-hint" value={s.phone}
          onInput={(e) => setS({ ...s, phone: (e.target as HTMLInputElement).value.trim() })} />
        <p id="phone-hint" class="hint">In international form, starting with + and the country code.</p>
        <label for="push">Push token</label>
        <input id="push" value={s.pushToken} onInput={(e) => setS({ ...s, pushToken: (e.target as HTMLInputElement).value.trim() })} />
        {err && <Alert>{err}</Alert>}
        {saved && <Alert kind="ok">Saved.</Alert>}
        <button class="primary">Save</button>
      </form>
    </Page>
  );
}
