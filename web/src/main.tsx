// Marquee's browser app: the header, and the page for the current path.
import { render } from "preact";
import "./styles.css";
import { match, navigate, onLinkClick, path } from "./lib/router.js";
import { logOut } from "./lib/auth.js";
import { session } from "./lib/session.js";
import { Login, Register, Settings } from "./pages/Account.js";
import { Booking } from "./pages/Booking.js";
import { Bookings } from "./pages/Bookings.js";
import { Checkout } from "./pages/Checkout.js";
import { Home } from "./pages/Home.js";
import { Movie } from "./pages/Movie.js";
import { Seats } from "./pages/Seats.js";
import { Standby } from "./pages/Standby.js";
import { Page } from "./lib/ui.js";

function Current() {
  const p = path.value.split("?")[0];
  let m: Record<string, string> | null;
  if (p === "/") return <Home />;
  if ((m = match("/movie/:id", p))) return <Movie key={m.id} id={m.id} />;
  if ((m = match("/showtime/:id", p))) return <Seats key={m.id} id={m.id} />;
  if (p === "/login") return <Login />;
  if (p === "/register") return <Register />;
  if (!session.value) {
    navigate(`/login?next=${encodeURIComponent(path.value)}`, true);
    return null;
  }
  if ((m = match("/checkout/:id", p))) return <Checkout key={m.id} holdId={m.id} />;
  if ((m = match("/booking/:id", p))) return <Booking key={m.id} id={m.id} />;
  if ((m = match("/standby/:id", p))) return <Standby key={m.id} id={m.id} />;
  if (p === "/bookings") return <Bookings />;
  if (p === "/settings") return <Settings />;
  return <Page title="Page not found"><p>There is nothing here. <a href="/">Find a movie</a>.</p></Page>;
}

function App() {
  const s = session.value;
  return (
    <div onClick={onLinkClick}>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <nav aria-label="Main">
          <a href="/" class="brand">Marquee</a>
          <ul>
            {s ? (
              <>
                <li><a href="/bookings">My bookings</a></li>
                <li><a href="/settings">Settings</a></li>
                <li><button type="button" class="link" onClick={() => { void logOut(); navigate("/"); }}>Sign out</button></li>
              </>
            ) : (
              <>
                <li><a href="/login">Sign in</a></li>
                <li><a href="/register">Register</a></li>
              </>
            )}
          </ul>
        </nav>
      </header>
      <main id="main">
        <Current />
      </main>
    </div>
  );
}

render(<App />, document.getElementById("app")!);
