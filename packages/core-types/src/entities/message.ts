import { z } from 'zod';
import { FFValidationError } from '../errors.js';
import { generateMessageId } from '../ids.js';
import { IsoTimestamp, Metadata, nowIso, UtcTimestampInput } from './common.js';
import { issuesFromZod } from './zod-issues.js';

/** The three standard roles. Any other non-empty string (a persona id) is allowed too. */
export const MessageRole = { USER: 'user', ASSISTANT: 'assistant', SYSTEM: 'system' } as const;
export type MessageRole = (typeof MessageRole)[keyof typeof MessageRole];

export const MESSAGE_ID_PATTERN = /^msg_[0-9a-f]{12}$/;
/** The ids a caller may give a message (generated ones match MESSAGE_ID_PATTERN). */
export const MESSAGE_INPUT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

const Role = z.string().trim().min(1, 'role cannot be empty').max(200);
const Content = z.string().refine((s) => s.trim().length > 0, { message: 'content cannot be empty' });

export const MessageInputSchema = z.object({
  role: Role,
  content: Content,
  messageId: z
    .string()
    .min(1)
    .max(200)
    .regex(MESSAGE_INPUT_ID_PATTERN, 'messageId has invalid characters')
    .optional(),
  timestamp: UtcTimestampInput.optional(),
  attachments: z.array(z.string()).optional(),
  metadata: Metadata.optional(),
  parentId: z.string().min(1).max(200).optional(),
});
export type MessageInput = z.infer<typeof MessageInputSchema>;

export const MessageSchema = z.object({
  messageId: z.string().min(1),
  role: Role,
  content: Content,
  timestamp: IsoTimestamp,
  attachments: z.array(z.string()),
  metadata: Metadata,
  parentId: z.string().optional(),
  /** 0-based position in the session; assigned when stored. */
  seq: z.number().int().nonnegative().optional(),
});
export type Message = z.infer<typeof MessageSchema>;
export type StoredMessage = Message & { seq: number };

/**
 * Validates a message and fills `messageId`, `timestamp`, `attachments` and `metadata`
 * (the original's `FFMessageDTO(...)`). Throws FFValidationError on bad input.
 */
export function createMessage(input: MessageInput | Message, now: Date = new Date()): Message {
  const parsed = MessageInputSchema.safeParse(input);
  if (!parsed.success) throw new FFValidationError(issuesFromZod(parsed.error));
  const m = parsed.data;
  const message: Message = {
    messageId: m.messageId ?? generateMessageId(),
    role: m.role,
    content: m.content,
    timestamp: m.timestamp ?? nowIso(now),
    attachments: m.attachments ?? [],
    metadata: m.metadata ?? {},
  };
  if (m.parentId !== undefined) message.parentId = m.parentId;
  return message;
}
