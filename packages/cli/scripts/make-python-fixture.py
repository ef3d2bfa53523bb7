"""Writes test/fixtures/python-store/: a data directory in the exact layout and formats of the Python
original (reference §2 and §4): JSON documents with sorted keys, 2-space indent and no trailing newline;
messages.jsonl with json.dumps default separators in dataclass field order; naive local timestamps.
Run once; the output is committed. Usage: python3 scripts/make-python-fixture.py
"""
import json, os, shutil

ROOT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'python-store')


def write_json(rel, obj):
    path = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False))


def write_lines(rel, lines):
    path = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        for line in lines:
            f.write((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + '\n')


def write_bytes(rel, data):
    path = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


shutil.rmtree(ROOT, ignore_errors=True)
os.makedirs(os.path.join(ROOT, 'system'))

# --- alice: newest layout, new keys -------------------------------------------------------------
write_json('users/alice/profile.json', {
    'user_id': 'alice', 'username': 'Alice Example', 'created_at': '2025-08-01T09:10:00.000100',
    'updated_at': '2025-08-01T09:11:00.250000', 'preferences': {'theme': 'dark', 'language': 'en'},
    'metadata': {'plan': 'pro'}, 'email': 'alice@example.com',
})
A = 'users/alice/chat_session_20250801_091243_704359'
write_json(A + '/session.json', {
    'session_id': 'chat_session_20250801_091243_704359', 'user_id': 'alice', 'title': 'Python questions',
    'session_type': 'chat', 'created_at': '2025-08-01T09:12:43.704373', 'updated_at': '2025-08-01T09:20:01.5',
    'message_count': 3, 'metadata': {'topic': 'python'},
})
write_lines(A + '/messages.jsonl', [
    {'role': 'user', 'content': 'How do I read a file in Python?', 'message_id': 'msg_6ac309fcc87f',
     'timestamp': '2025-08-01T09:12:43.705492', 'attachments': [], 'metadata': {}},
    {'role': 'assistant', 'content': 'Use open() in a with block; it closes the file for you.',
     'message_id': 'msg_0b1c2d3e4f50', 'timestamp': '2025-08-01T09:13:10.000001',
     'attachments': ['801ce057_python_guide.md'], 'metadata': {'model': 'gpt-4', 'tokens': 17}},
    '',
    '{"role": "user", "content": "this line is cut off',
    {'role': 'user', 'content': 'Thanks, and for writing?', 'message_id': 'msg_a1b2c3d4e5f6',
     'timestamp': '2025-08-01T09:20:01.500000', 'attachments': [], 'metadata': {}},
    {'role': 'user', 'content': '   ', 'message_id': 'msg_ffffffffffff',
     'timestamp': '2025-08-01T09:20:02.000000', 'attachments': [], 'metadata': {}},
])
write_json(A + '/situational_context.json', {
    'summary': 'Alice is learning file I/O in Python.', 'key_points': ['reading files', 'with blocks'],
    'entities': {'languages': ['python']}, 'timestamp': '2025-08-01T09:20:05.000000', 'confidence': 0.8,
    'message_range': {'start': 'msg_6ac309fcc87f', 'end': 'msg_a1b2c3d4e5f6'}, 'metadata': {'source': 'auto'},
})
write_json(A + '/context_history/context_20250801_091500_000001.json', {
    'summary': 'Alice asked how to read a file.', 'key_points': ['reading files'], 'entities': {},
    'timestamp': '2025-08-01T09:15:00.000001', 'confidence': 0.5, 'message_range': None, 'metadata': {},
})
DOC = '# Python guide\n\nUse open() to read files.\n'
write_bytes(A + '/documents/801ce057_python_guide.md', DOC.encode('utf-8'))
write_json(A + '/documents/metadata.json', {
    '801ce057_python_guide.md': {
        'filename': '801ce057_python_guide.md', 'original_name': 'python_guide.md',
        'path': 'users/alice/chat_session_20250801_091243_704359/documents/801ce057_python_guide.md',
        'mime_type': 'text/markdown', 'size': len(DOC.encode('utf-8')), 'uploaded_at': '2025-08-01T09:14:00.000000',
        'uploaded_by': 'alice',
        'analysis': {'analysis': {'results': {'summary': 'A short guide'}, 'timestamp': '2025-08-01T09:14:30.000000'}},
        'metadata': {'tags': ['python', 'guide']},
    },
    'deadbeef_missing.txt': {
        'filename': 'deadbeef_missing.txt', 'original_name': 'missing.txt',
        'path': 'users/alice/chat_session_20250801_091243_704359/documents/deadbeef_missing.txt',
        'mime_type': 'text/plain', 'size': 3, 'uploaded_at': '2025-08-01T09:14:00.000000', 'uploaded_by': 'alice',
        'analysis': {}, 'metadata': {},
    },
})
write_json('users/alice/personas/study_buddy.json', {
    'id': 'study_buddy', 'name': 'Study Buddy', 'description': 'Quizzes Alice', 'traits': ['patient'],
    'expertise': ['python'], 'communication_style': {'tone': 'friendly'}, 'created_at': '2025-08-01T08:00:00.000000',
    'updated_at': '2025-08-01T08:00:00.000000', 'is_global': False, 'owner_id': 'alice', 'metadata': {},
})

# A panel chat session of the chat app: no session.json, one messages.jsonl plus a copy per persona.
PS = 'users/alice/panel_session_1a2b3c4d'
panel_lines = [
    {'role': 'user', 'content': 'What should we call the database?', 'message_id': 'msg_ps0000000001',
     'timestamp': '2025-08-02T11:00:00.000000', 'attachments': [], 'metadata': {'conversation_entry': 1}},
    {'role': 'technical_expert', 'content': 'Something short, like ffdb.', 'message_id': 'msg_ps0000000002',
     'timestamp': '2025-08-02T11:00:05.000000', 'attachments': [],
     'metadata': {'persona': 'technical_expert', 'conversation_entry': 2, 'multimodal': False}},
]
write_lines(PS + '/messages.jsonl', panel_lines)
write_lines(PS + '/technical_expert_messages.jsonl', [panel_lines[1]])

# The original kept vectors in users/default/sessions/<sid>/vectors/ (never under the real user).
V = 'users/default/sessions/chat_session_20250801_091243_704359/vectors'
write_lines(V + '/vector_index.jsonl', [
    {'chunk_id': '801ce057_python_guide.md_chunk_0', 'vector_index': 0, 'document_id': '801ce057_python_guide.md',
     'session_id': 'chat_session_20250801_091243_704359', 'chunk_text': '# Python guide',
     'chunk_metadata': {'position': 0, 'total_chunks': 1, 'char_count': 14, 'word_count': 3},
     'embedding_metadata': {'provider': 'nomic-ai', 'model': 'nomic-embed-text-v1.5', 'dimensions': 4,
                            'normalized': True, 'timestamp': '2025-08-01T09:14:31.000000'}},
])
write_bytes(V + '/embeddings.npy', b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (1, 4), }" + b' ' * 53 + b'\n' + b'\x00' * 32)

# --- bob: older snapshot keys (`id`), session id without microseconds, a backup dir ----------------
write_json('users/bob/profile.json', {
    'user_id': 'bob', 'username': 'bob', 'created_at': '2025-07-22T17:50:00', 'updated_at': '2025-07-22T17:50:00',
    'preferences': {}, 'metadata': {},
})
B = 'users/bob/chat_session_20250722_175402'
write_json(B + '/session.json', {
    'id': 'chat_session_20250722_175402', 'user_id': 'bob', 'title': 'Old chat', 'created_at': '2025-07-22T17:54:02.123456',
    'updated_at': '2025-07-22T17:56:00.000000', 'message_count': 2, 'metadata': {},
})
write_lines(B + '/messages.jsonl', [
    {'role': 'user', 'content': 'Hello from the old format', 'id': 'msg_111111111111',
     'timestamp': '2025-07-22T17:54:10.000000', 'attachments': [], 'metadata': {}},
    {'role': 'assistant', 'content': 'Hi Bob, welcome back.', 'id': 'msg_222222222222',
     'timestamp': '2025-07-22T17:56:00.000000', 'attachments': [], 'metadata': {}},
])
write_json(B + '.backup_20250723_101010/session.json', {'id': 'chat_session_20250722_175402', 'user_id': 'bob'})

# --- carol: no users/ level, no profile, no session.json -----------------------------------------
C = 'carol/chat_session_20250601_120000_000001'
write_lines(C + '/messages.jsonl', [
    {'role': 'user', 'content': 'First message in the oldest layout', 'message_id': 'msg_c0ffee000001',
     'timestamp': '2025-06-01T12:00:01.000000', 'attachments': [], 'metadata': {}},
    {'role': 'assistant', 'content': 'Reply in the oldest layout', 'message_id': 'msg_c0ffee000002',
     'timestamp': '2025-06-01T12:00:05.000000', 'attachments': [], 'metadata': {}},
])

# --- global personas: plain DTO and the chat app's rich file; one malformed ----------------------
write_json('personas_global/technical_expert.json', {
    'id': 'technical_expert', 'name': 'Technical Expert', 'description': 'Deep technical answers',
    'traits': ['precise', 'thorough'], 'expertise': ['software', 'databases'],
    'communication_style': {'formality': 'high'}, 'created_at': '2025-07-01T10:00:00.000000',
    'updated_at': '2025-07-02T10:00:00.000000', 'is_global': True, 'owner_id': None, 'metadata': {'version': 2},
})
write_json('personas_global/creative_writer.json', {
    'persona_id': 'creative_writer', 'name': 'Creative Writer', 'description': 'Writes vivid prose',
    'category': 'creative', 'demographics': {'age': 34, 'occupation': 'novelist', 'location': 'Portland'},
    'behavioral_traits': {'communication_style': 'expressive', 'decision_making': 'intuitive',
                          'values': ['originality'], 'strengths': ['imagery'], 'personality': 'warm'},
    'capabilities': ['storytelling', 'editing'], 'expertise_areas': ['fiction', 'poetry'],
    'llm_config_persona': {'llm_provider': 'openai', 'temperature': 0.9, 'max_tokens': 800},
    'system_prompt': 'You are a creative writer.',
})
write_bytes('personas_global/broken.json', b'{"id": "broken", "name": ')

# --- a panel with messages, a persona snapshot and an insight ------------------------------------
P = 'panel_sessions/panel_20250801_100000_123456'
write_json(P + '/panel.json', {
    'id': 'panel_20250801_100000_123456', 'type': 'expert_panel', 'personas': ['technical_expert', 'creative_writer'],
    'created_at': '2025-08-01T10:00:00.123456', 'updated_at': '2025-08-01T10:05:00.000000', 'message_count': 0,
    'config': {'topic': 'naming a database'}, 'metadata': {'owner': 'alice'},
})
write_lines(P + '/messages.jsonl', [
    {'role': 'technical_expert', 'content': 'Call it ffdb: short and descriptive.', 'message_id': 'msg_p00000000001',
     'timestamp': '2025-08-01T10:01:00.000000', 'attachments': [], 'metadata': {}, 'persona_id': 'technical_expert',
     'response_to': None, 'consensus_level': 0.6},
    {'role': 'creative_writer', 'content': 'I agree, ffdb has a ring to it.', 'message_id': 'msg_p00000000002',
     'timestamp': '2025-08-01T10:02:00.000000', 'attachments': [], 'metadata': {'mood': 'upbeat'},
     'persona_id': 'creative_writer', 'response_to': 'msg_p00000000001', 'consensus_level': 0.9},
    'not json at all',
])
write_json(P + '/personas/technical_expert.json', {
    'id': 'technical_expert', 'name': 'Technical Expert', 'description': 'Deep technical answers',
    'traits': ['precise'], 'expertise': ['software'], 'communication_style': {}, 'created_at': '2025-07-01T10:00:00.000000',
    'updated_at': '2025-07-01T10:00:00.000000', 'is_global': True, 'owner_id': None, 'metadata': {},
})
write_json(P + '/insights/insight_0123456789ab.json', {
    'id': 'insight_0123456789ab', 'panel_id': 'panel_20250801_100000_123456', 'type': 'recommendation',
    'content': 'Name the project ffdb.', 'supporting_messages': ['msg_p00000000001', 'msg_p00000000002'],
    'consensus_level': 0.75, 'created_at': '2025-08-01T10:05:00.000000', 'created_by': 'technical_expert',
    'metadata': {'votes': 2},
})
print('wrote', os.path.normpath(ROOT))
