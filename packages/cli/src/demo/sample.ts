/**
 * The demo's sample data, built deterministically from the Brown corpus: three users, three sessions
 * each (a conversation over one corpus sample), two documents and two personas.
 */
import { readSentences } from './corpus.js';

export interface SampleSession {
  key: string;
  title: string;
  sample: string;
  messages: { role: 'user' | 'assistant'; content: string }[];
}

export interface SampleDocument {
  sessionKey: string;
  filename: string;
  content: string;
}

export interface SampleUser {
  userId: string;
  username: string;
  sessions: SampleSession[];
}

export interface SampleData {
  users: SampleUser[];
  documents: SampleDocument[];
  personas: { personaId: string; name: string; description: string; traits: string[]; expertise: string[] }[];
}

export const MESSAGES_PER_SESSION = 40;

const PLAN: { userId: string; username: string; sessions: [string, string, string][] }[] = [
  {
    userId: 'ada',
    username: 'Ada Lovelace',
    sessions: [
      ['ada-news', 'Atlanta election news', 'ca01'],
      ['ada-moon', 'Radio emission of the moon', 'cj01'],
      ['ada-fitness', 'Bodybuilding stories', 'ce01'],
    ],
  },
  {
    userId: 'grace',
    username: 'Grace Hopper',
    sessions: [
      ['grace-politics', 'State politics', 'ca02'],
      ['grace-science', 'Notes on physics', 'cj02'],
      ['grace-fiction', 'A short story', 'ck01'],
    ],
  },
  {
    userId: 'alan',
    username: 'Alan Turing',
    sessions: [
      ['alan-news', 'City council news', 'ca03'],
      ['alan-research', 'Research reading', 'cj03'],
      ['alan-humor', 'Funny stories', 'cr01'],
    ],
  },
];

/** User turns are corpus sentences framed as notes or questions; the assistant answers with the next one. */
const USER_FRAMES = [
  (s: string) => s,
  (s: string) => `I read this today: ${s}`,
  (s: string) => `What do you make of this? ${s}`,
  (s: string) => `Note for later: ${s}`,
];

export function buildSample(): SampleData {
  const users = PLAN.map((u) => ({
    userId: u.userId,
    username: u.username,
    sessions: u.sessions.map(([key, title, sample]) => {
      const sentences = readSentences(sample).slice(0, MESSAGES_PER_SESSION);
      return {
        key,
        title,
        sample,
        messages: sentences.map((s, i) => ({
          role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
          content: i % 2 === 0 ? USER_FRAMES[(i / 2) % USER_FRAMES.length]!(s) : s,
        })),
      };
    }),
  }));
  const report = readSentences('ca01').slice(MESSAGES_PER_SESSION);
  const moon = readSentences('cj01');
  const documents: SampleDocument[] = [
    {
      sessionKey: 'ada-news',
      filename: 'election-report.txt',
      content: `Fulton County Grand Jury report (Brown corpus sample ca01)\n\n${report.join('\n')}\n`,
    },
    {
      sessionKey: 'ada-moon',
      filename: 'moon-notes.md',
      content: `# Radio emission of the moon and planets\n\n${moon
        .map((s, i) => (i > 0 && i % 8 === 0 ? `\n## Part ${i / 8 + 1}\n\n${s}` : s))
        .join('\n')}\n`,
    },
  ];
  const personas = [
    {
      personaId: 'historian',
      name: 'Historian',
      description: 'Puts events in their historical context.',
      traits: ['curious', 'careful'],
      expertise: ['history', 'politics'],
    },
    {
      personaId: 'scientist',
      name: 'Scientist',
      description: 'Explains measurements and physical phenomena.',
      traits: ['precise', 'skeptical'],
      expertise: ['physics', 'astronomy'],
    },
  ];
  return { users, documents, personas };
}

export const DEMO_QUERIES = {
  user: 'ada',
  fts: 'election jury',
  semantic: 'radio waves from the moon and the planets',
  hybrid: 'investigation of the primary election',
};
